package dev.mixtral4j.gguf;

import java.nio.file.Path;

/**
 * Reading weights from a memory-mapped model file failed because the file changed under the
 * mapping (truncated, or replaced in place) while the model was loaded. The JVM reports this as
 * an {@link InternalError} from the faulting access; backends turn it into this exception, which
 * names the file. Loading with {@code LoadOptions.builder().weightsInMemory(true)} copies the
 * weights into memory instead and is immune.
 */
public final class MappedFileChangedException extends ModelFormatException {
    public MappedFileChangedException(Path file, Throwable cause) {
        super(file + " changed on disk while it was mapped (truncated or replaced?): reading its weights failed ("
                + cause.getMessage() + "); do not modify a model file while it is loaded, or load it with "
                + "LoadOptions weightsInMemory(true)", -1, cause);
    }
}
