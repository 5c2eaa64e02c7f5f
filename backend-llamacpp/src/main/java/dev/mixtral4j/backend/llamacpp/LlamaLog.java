package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.backend.llamacpp.bindings.Llama;
import dev.mixtral4j.backend.llamacpp.bindings.ggml_log_callback;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes llama.cpp's and ggml's log to SLF4J (logger {@code dev.mixtral4j.backend.llamacpp.native}),
 * and lets a thread capture the warnings and errors of one native call so that a failure can be
 * reported with llama.cpp's own reason.
 *
 * <p>llama.cpp writes a line in several pieces (level {@code CONT} continues the previous one),
 * so pieces are buffered per thread until a newline. The upcall stub lives in the global arena:
 * llama.cpp keeps the pointer for the whole life of the process.
 */
final class LlamaLog {
    private static final Logger LOG = LoggerFactory.getLogger("dev.mixtral4j.backend.llamacpp.native");
    private static final int MAX_CAPTURED = 64;

    private static final ThreadLocal<StringBuilder> PENDING = ThreadLocal.withInitial(StringBuilder::new);
    private static final ThreadLocal<int[]> PENDING_LEVEL = ThreadLocal.withInitial(() -> new int[1]);
    private static final ThreadLocal<List<String>> CAPTURE = new ThreadLocal<>();

    private static MemorySegment stub;

    private LlamaLog() {
    }

    /** Installs the callback; called once, right after the libraries are loaded. */
    static synchronized void install() {
        if (stub == null) {
            stub = ggml_log_callback.allocate(LlamaLog::onLog, Arena.global());
        }
        Llama.llama_log_set(stub, MemorySegment.NULL);
    }

    /** Starts collecting this thread's warnings and errors. */
    static void startCapture() {
        CAPTURE.set(new ArrayList<>());
    }

    /** Stops collecting and returns what was said, joined; empty when nothing was. */
    static String stopCapture() {
        flushPending();
        List<String> lines = CAPTURE.get();
        CAPTURE.remove();
        return lines == null ? "" : String.join("; ", lines);
    }

    // Must never throw: an exception escaping an upcall terminates the JVM.
    private static void onLog(int level, MemorySegment text, MemorySegment userData) {
        try {
            String piece = text.equals(MemorySegment.NULL) ? "" : text.reinterpret(Long.MAX_VALUE).getString(0);
            StringBuilder pending = PENDING.get();
            int[] pendingLevel = PENDING_LEVEL.get();
            if (level != Llama.GGML_LOG_LEVEL_CONT()) {
                if (!pending.isEmpty()) {
                    emit(pendingLevel[0], pending.toString());
                    pending.setLength(0);
                }
                pendingLevel[0] = level;
            }
            pending.append(piece);
            int nl;
            while ((nl = pending.indexOf("\n")) >= 0) {
                emit(pendingLevel[0], pending.substring(0, nl));
                pending.delete(0, nl + 1);
            }
        } catch (Throwable t) {
            // nothing sensible to do inside a native callback
        }
    }

    private static void flushPending() {
        StringBuilder pending = PENDING.get();
        if (!pending.isEmpty()) {
            emit(PENDING_LEVEL.get()[0], pending.toString());
            pending.setLength(0);
        }
    }

    private static void emit(int level, String line) {
        String msg = line.strip();
        if (msg.isEmpty()) {
            return;
        }
        if (level >= Llama.GGML_LOG_LEVEL_WARN() && level != Llama.GGML_LOG_LEVEL_CONT()) {
            List<String> lines = CAPTURE.get();
            if (lines != null && lines.size() < MAX_CAPTURED) {
                lines.add(msg);
            }
        }
        if (level == Llama.GGML_LOG_LEVEL_ERROR()) {
            LOG.error(msg);
        } else if (level == Llama.GGML_LOG_LEVEL_WARN()) {
            LOG.warn(msg);
        } else if (level == Llama.GGML_LOG_LEVEL_INFO()) {
            LOG.debug(msg); // llama.cpp's INFO is a page per model load: too chatty for INFO
        } else {
            LOG.trace(msg);
        }
    }
}
