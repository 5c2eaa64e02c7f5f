package dev.mixtral4j.samples.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading and writing the files a command names, with messages that say which file and what is wrong. */
final class InputFiles {
    private InputFiles() {
    }

    /** The file as UTF-8 text; a file that is not UTF-8 is refused naming the file and the byte offset. */
    static String readUtf8(Path file, String option) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(option + " " + file + " is not UTF-8 text (invalid byte 0x"
                    + String.format("%02x", bytes[firstInvalid(bytes)] & 0xff) + " at offset " + firstInvalid(bytes) + ")");
        }
    }

    /** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
    static int firstInvalid(byte[] b) {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        var out = java.nio.CharBuffer.allocate(Math.max(16, b.length));
        var result = decoder.decode(in, out, true);
        return result.isError() ? in.position() : Math.max(0, b.length - 1);
    }

    /**
     * Fails early, before any model is loaded, when {@code file} cannot be written: its folder is
     * missing, or it (or its folder) is not writable.
     */
    static void checkWritable(Path file, String option) throws IOException {
        Path abs = file.toAbsolutePath();
        Path parent = abs.getParent();
        if (Files.isDirectory(abs)) {
            throw new IOException("cannot write " + option + " " + file + ": it is a folder");
        }
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IOException("cannot write " + option + " " + file + ": folder " + parent + " does not exist");
        }
        if (Files.exists(abs) ? !Files.isWritable(abs) : parent != null && !Files.isWritable(parent)) {
            throw new IOException("cannot write " + option + " " + file + ": permission denied");
        }
    }
}
