package dev.mixtral4j.samples.cli;

import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Writes a synthetic model with a progress bar. The writer streams into a temporary file next to
 * the target ({@code .NAME.*.part}) and moves it into place at the end, so the bar follows that
 * file's size, read by a watcher thread: the writer itself needs no callback.
 */
final class SyntheticModelWriter {
    private SyntheticModelWriter() {
    }

    static Path write(CommandSpec spec, SyntheticModel.Builder builder, Path target) throws IOException {
        long total = builder.tensorBytes();
        Path dir = target.toAbsolutePath().getParent();
        String prefix = "." + target.getFileName() + ".";
        try (Progress bar = Progress.start(spec, "writing " + target.getFileName(), Math.max(1, total >> 20), "MiB", 1)) {
            Thread watcher = Thread.ofPlatform().daemon().name("synthetic-model-progress").start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    bar.stepTo(Math.min(total, partSize(dir, prefix)) >> 20);
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            try {
                builder.write(target);
            } finally {
                watcher.interrupt();
                try {
                    watcher.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            bar.stepTo(Math.max(1, total >> 20));
        }
        return target;
    }

    private static long partSize(Path dir, String prefix) {
        long size = 0;
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(dir, p -> {
            String name = p.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".part");
        })) {
            for (Path p : parts) {
                size += Files.size(p);
            }
        } catch (IOException e) {
            // The part file may be moved into place between listing and reading: no progress this tick.
        }
        return size;
    }
}
