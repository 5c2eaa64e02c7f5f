package dev.mixtral4j.samples.server;

import java.util.concurrent.atomic.AtomicLong;

/** Counters since the server started, shown by {@code GET /health}. */
final class ServerStats {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong promptTokens = new AtomicLong();
    final AtomicLong cachedPromptTokens = new AtomicLong();
    final AtomicLong generatedTokens = new AtomicLong();
}
