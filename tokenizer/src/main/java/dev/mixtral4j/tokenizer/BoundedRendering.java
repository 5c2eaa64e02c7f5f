package dev.mixtral4j.tokenizer;

import dev.mixtral4j.tokenizer.ChatTemplateException.Reason;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Runs one chat-template rendering on its own thread, under a deadline enforced twice: the
 * rendering checks it before every template node ({@link #checkpoint()}, called by Jinjava's
 * node pre-processor) and stops with {@link Reason#RENDER_TIME}; and the caller waits no longer
 * than the deadline plus a grace period, so a rendering stuck inside one expression cannot hold
 * it either (that thread then stops at its next node). The thread has a fixed, large stack: how
 * deep a template may nest must not depend on the stack of whichever thread asked for a chat.
 */
final class BoundedRendering<T> extends Thread {
    private static final long STACK_BYTES = 16L << 20;
    private static final Duration GRACE = Duration.ofMillis(500);

    private final Supplier<T> work;
    private final Duration limit;
    private final long deadlineNanos;
    private volatile boolean abandoned;
    private T result;
    private Throwable failure;

    private BoundedRendering(Supplier<T> work, Duration limit) {
        super(null, null, "mixtral4j-chat-template", STACK_BYTES);
        this.work = work;
        this.limit = limit;
        this.deadlineNanos = System.nanoTime() + limit.toNanos();
        setDaemon(true);
    }

    /** {@code work()} on a rendering thread, within {@code limit}. */
    static <T> T run(Supplier<T> work, Duration limit) {
        BoundedRendering<T> r = new BoundedRendering<>(work, limit);
        r.start();
        try {
            if (!r.join(limit.plus(GRACE))) {
                r.abandoned = true;
                throw timeExceeded(limit);
            }
        } catch (InterruptedException e) {
            r.abandoned = true;
            Thread.currentThread().interrupt();
            throw new ChatTemplateException(Reason.INTERRUPTED, "interrupted while rendering the chat template");
        }
        Throwable f = r.failure;
        if (f == null) {
            return r.result;
        }
        if (f instanceof RuntimeException e) {
            throw e;
        }
        if (f instanceof StackOverflowError) {
            // The nesting checks bound what a template can write; this is the backstop for what
            // it can still do at run time (macros calling macros within their own limits).
            throw new ChatTemplateException(Reason.NESTING_DEPTH,
                    "the chat template nests too deeply: it overflowed a " + (STACK_BYTES >> 20) + " MiB stack", f);
        }
        if (f instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(f);
    }

    /**
     * Called before every template node on the rendering thread; throws once the deadline has
     * passed or the caller gave up. Does nothing on other threads.
     */
    static void checkpoint() {
        if (Thread.currentThread() instanceof BoundedRendering<?> r
                && (r.abandoned || System.nanoTime() - r.deadlineNanos > 0)) {
            throw timeExceeded(r.limit);
        }
    }

    private static ChatTemplateException timeExceeded(Duration limit) {
        return new ChatTemplateException(Reason.RENDER_TIME,
                "the chat template ran past its render time limit of " + limit.toMillis() + " ms");
    }

    @Override
    public void run() {
        try {
            result = work.get();
        } catch (Throwable t) {
            failure = t;
        }
    }
}
