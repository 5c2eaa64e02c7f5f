package dev.mixtral4j.samples.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Progress bars for long work (me.tongfei:progressbar), always on the command's error stream so
 * that piped standard output stays clean. Shown when that stream is a terminal, never with
 * {@code --quiet}; {@code -Dmixtral4j.progress=always|never} overrides (tests use {@code always}).
 */
final class Progress implements AutoCloseable {
    /** A bar that shows nothing: what quiet and non-terminal runs get. */
    private static final Progress NONE = new Progress(null, null);

    private final ProgressBar bar;
    private final PrintWriter err;

    private Progress(ProgressBar bar, PrintWriter err) {
        this.bar = bar;
        this.err = err;
    }

    /** A bar of {@code max} steps named {@code task}, on {@code spec}'s error stream when bars are wanted. */
    static Progress start(CommandSpec spec, String task, long max, String unit, long unitSize) {
        if (!wanted(spec)) {
            return NONE;
        }
        PrintWriter err = spec.commandLine().getErr();
        ProgressBarBuilder b = ProgressBar.builder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                .setConsumer(new DelegatingProgressBarConsumer(line -> {
                    err.print('\r');
                    err.print(line);
                    err.flush();
                }, 100))
                .startsFrom(0, Duration.ZERO);
        if (unit != null) {
            b.setUnit(unit, unitSize);
        }
        return new Progress(b.build(), err);
    }

    /** True unless --quiet, -Dmixtral4j.progress=never, or (when auto) no terminal on stderr. */
    static boolean wanted(CommandSpec spec) {
        if (quiet(spec)) {
            return false;
        }
        String mode = System.getProperty("mixtral4j.progress", "auto").toLowerCase(Locale.ROOT);
        return switch (mode) {
            case "always" -> true;
            case "never" -> false;
            default -> System.console() != null && System.console().isTerminal();
        };
    }

    /** Whether --quiet was given on this command or a parent. */
    static boolean quiet(CommandSpec spec) {
        for (CommandSpec s = spec; s != null; s = s.parent()) {
            CommandLine.ParseResult parsed = s.commandLine().getParseResult();
            if (parsed != null && parsed.hasMatchedOption("--quiet")) {
                return true;
            }
        }
        return false;
    }

    void stepTo(long n) {
        if (bar != null) {
            bar.stepTo(n);
        }
    }

    void step() {
        if (bar != null) {
            bar.step();
        }
    }

    void message(String extra) {
        if (bar != null) {
            bar.setExtraMessage(extra);
        }
    }

    void maxHint(long max) {
        if (bar != null) {
            bar.maxHint(max);
        }
    }

    /**
     * Bars for the library's own long work, which it reports to a
     * {@link dev.mixtral4j.spi.ProgressListener} (llama.cpp's libraries extracted on first use,
     * weights uploaded to a GPU): one bar per task, when bars are wanted for {@code spec}.
     */
    static LibraryBars forLibrary(CommandSpec spec) {
        return new LibraryBars(spec);
    }

    /** A listener that draws each reported task as a bar of MiB; closing it ends a bar left open. */
    static final class LibraryBars implements dev.mixtral4j.spi.ProgressListener, AutoCloseable {
        private final CommandSpec spec;
        /** Decided at the first report: a command that reports nothing never looks for a terminal. */
        private Boolean wanted;
        private String task;
        private Progress bar;

        private LibraryBars(CommandSpec spec) {
            this.spec = spec;
        }

        @Override
        public synchronized void progress(String task, long done, long total) {
            if (wanted == null) {
                wanted = wanted(spec);
            }
            if (!wanted) {
                return;
            }
            if (bar == null || !task.equals(this.task)) {
                close();
                this.task = task;
                this.bar = start(spec, task, Math.max(1, total), "MiB", 1L << 20);
            }
            bar.stepTo(done);
            if (done >= total) {
                close();
            }
        }

        @Override
        public synchronized void close() {
            if (bar != null) {
                bar.close();
                bar = null;
                task = null;
            }
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            err.println(); // the bar redraws its line with \r: end it so what follows starts clean
            err.flush();
        }
    }
}
