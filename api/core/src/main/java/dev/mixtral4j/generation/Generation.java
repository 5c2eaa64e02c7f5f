package dev.mixtral4j.generation;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;
import dev.mixtral4j.spi.Tokenizer;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The generation loop, the one every backend runs through: prefill (in chunks, reusing the cached
 * prefix), then sample, stream and decode one token at a time until a stop condition. It is
 * pull-based: an {@link Iterator} of {@link GeneratedToken}s ({@link #stream()} for a
 * {@link Stream}), driven by the caller's thread; {@link #run(TokenListener)} pushes to a listener.
 * Nothing is computed before the first {@link #hasNext()}.
 *
 * <p>Not thread-safe, except {@link #cancel()}, which any thread may call.
 */
public final class Generation implements Iterator<GeneratedToken>, AutoCloseable {
    private final KvSequence sequence;
    private final Tokenizer tokenizer;
    private final int[] prompt;
    private final GenerationOptions options;
    private final CancelHandle cancel;
    private final CancelHandle ownCancel = new CancelHandle();
    private final Runnable onFinish;

    private final Sampler sampler;
    private final Tokenizer.StreamingDecoder decoder;
    private final StopStringFilter filter;
    private final StringBuilder text = new StringBuilder();
    private int[] generated = new int[16];
    private int count;

    private boolean started;
    private boolean finished;
    private GeneratedToken next;
    private float[] logits;
    private StopReason stopReason;

    private long startNanos;
    private long promptNanos;
    private long firstTokenNanos = -1;
    private long endNanos;
    private int prefilled;

    /**
     * @param sequence  the session to generate in; its tokens become {@code prompt} (reusing the
     *                  cached prefix) followed by what is generated
     * @param tokenizer for text, end-of-generation tokens and stop strings; null for token-level use
     *                  (then texts are empty and stop strings are refused)
     * @param prompt    the whole context to continue, BOS included if wanted
     * @param onFinish  run once when the generation ends, fails or is closed (may be null)
     */
    public Generation(KvSequence sequence, Tokenizer tokenizer, int[] prompt, GenerationOptions options,
                      Runnable onFinish) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt: nothing to generate from (add BOS?)");
        }
        if (prompt.length > sequence.contextLength()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens does not fit the context of "
                    + sequence.contextLength() + " tokens");
        }
        if (tokenizer == null && !options.stopStrings().isEmpty()) {
            throw new IllegalArgumentException("stop strings need a tokenizer, and this model has none");
        }
        this.sequence = sequence;
        this.tokenizer = tokenizer;
        this.prompt = prompt.clone();
        this.options = options;
        this.cancel = options.cancel();
        this.onFinish = onFinish;
        this.sampler = options.sampler().copy();
        this.decoder = tokenizer == null ? null : tokenizer.newStreamingDecoder();
        this.filter = new StopStringFilter(options.stopStrings());
    }

    /** Stops the generation at the next step; callable from any thread. */
    public void cancel() {
        ownCancel.cancel();
    }

    private boolean cancelled() {
        return ownCancel.isCancelled() || (cancel != null && cancel.isCancelled());
    }

    @Override
    public boolean hasNext() {
        if (next == null && !finished) {
            try {
                next = step();
            } catch (RuntimeException | Error e) {
                finish(stopReason == null ? StopReason.CANCELLED : stopReason);
                throw e;
            }
        }
        return next != null;
    }

    @Override
    public GeneratedToken next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the generation has ended: " + stopReason);
        }
        GeneratedToken t = next;
        next = null;
        return t;
    }

    /** One event, or null when the generation has ended without one. */
    private GeneratedToken step() {
        if (!started) {
            started = true;
            startNanos = System.nanoTime();
            for (int t : prompt) {
                sampler.accept(t);
            }
            prefilled = prompt.length - Math.min(sequence.commonPrefix(prompt), prompt.length - 1);
            logits = sequence.prefill(prompt, this::cancelled);
            promptNanos = System.nanoTime() - startNanos;
            if (logits == null) {
                prefilled = 0;
                return end(StopReason.CANCELLED);
            }
        } else {
            if (stopReason != null) {
                finish(stopReason);
                return null;
            }
            if (cancelled()) {
                return end(StopReason.CANCELLED);
            }
            logits = sequence.evaluatePending();
        }

        Candidates candidates = new Candidates(logits);
        sampler.apply(candidates);
        int token = candidates.selectedToken();
        sampler.accept(token);
        if (firstTokenNanos < 0) {
            firstTokenNanos = System.nanoTime() - startNanos;
        }
        sequence.append(token);
        record(token);
        int index = count - 1;

        StringBuilder out = new StringBuilder();
        StopReason stop = null;
        if (tokenizer != null && !options.ignoreEndOfGeneration() && tokenizer.isEndOfGeneration(token)) {
            stop = StopReason.END_OF_GENERATION;
        } else if (options.stopTokens().contains(token)) {
            stop = StopReason.STOP_TOKEN;
        } else if (decoder != null) {
            out.append(filter.accept(decoder.accept(token)));
            if (filter.matched() != null) {
                stop = StopReason.STOP_STRING;
            }
        }
        if (stop == null && options.maxTokens() > 0 && count >= options.maxTokens()) {
            stop = StopReason.MAX_TOKENS;
        }
        if (stop == null && sequence.size() > sequence.contextLength()) {
            // The sampled token could not be placed in the KV cache to sample another.
            stop = StopReason.CONTEXT_FULL;
        }
        if (stop != null) {
            out.append(drain());
            stopReason = stop;
        }
        text.append(out);
        return new GeneratedToken(token, out.toString(), index);
    }

    /** Ends without a token: releases held text as a text-only event, if there is any. */
    private GeneratedToken end(StopReason reason) {
        stopReason = reason;
        String rest = drain();
        text.append(rest);
        if (rest.isEmpty()) {
            finish(reason);
            return null;
        }
        return new GeneratedToken(GeneratedToken.NO_TOKEN, rest, count);
    }

    private String drain() {
        if (decoder == null) {
            return "";
        }
        return filter.accept(decoder.flush()) + filter.flush();
    }

    private void record(int token) {
        if (count == generated.length) {
            generated = java.util.Arrays.copyOf(generated, count * 2);
        }
        generated[count++] = token;
    }

    private void finish(StopReason reason) {
        if (finished) {
            return;
        }
        finished = true;
        stopReason = reason;
        endNanos = System.nanoTime();
        if (onFinish != null) {
            onFinish.run();
        }
    }

    /** Pushes every remaining event to {@code listener} and returns the result. */
    public GenerationResult run(TokenListener listener) {
        try {
            while (hasNext()) {
                listener.onToken(next());
            }
        } catch (RuntimeException | Error e) {
            finish(stopReason == null ? StopReason.CANCELLED : stopReason);
            throw e;
        }
        return result();
    }

    /**
     * The result, running the generation to its end first if it has not ended (events not yet
     * taken are dropped).
     */
    public GenerationResult result() {
        while (hasNext()) {
            next();
        }
        if (!started) {
            return new GenerationResult("", new int[0], stopReason,  null,
                    new GenerationStats(prompt.length, 0, 0, 0, -1, 0, stopReason));
        }
        long total = (finished ? endNanos : System.nanoTime()) - startNanos;
        GenerationStats stats = new GenerationStats(prompt.length, prefilled, promptNanos, count, firstTokenNanos,
                Math.max(total, promptNanos), stopReason);
        return new GenerationResult(text.toString(), java.util.Arrays.copyOf(generated, count), stopReason,
                filter.matched(), stats);
    }

    /** True once no more events will come. */
    public boolean isDone() {
        return finished;
    }

    /** The events as a sequential stream; closing the stream cancels the generation. */
    public Stream<GeneratedToken> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this,
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(this::close);
    }

    @Override
    public void forEachRemaining(Consumer<? super GeneratedToken> action) {
        while (hasNext()) {
            action.accept(next());
        }
    }

    /** Cancels if still running and releases the session for the next generation. */
    @Override
    public void close() {
        if (!finished) {
            cancel();
            next = null;
            finish(StopReason.CANCELLED);
        }
    }
}
