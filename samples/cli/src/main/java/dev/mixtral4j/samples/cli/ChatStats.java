package dev.mixtral4j.samples.cli;

import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What {@code /stats} reports: the last answer and the whole conversation, per backend moves. */
final class ChatStats {
    private GenerationStats last;
    private String lastBackend;
    private int answers;
    private long generated;
    private long generationNanos;
    private long prefilled;
    private long prefillNanos;
    private final List<String> moves = new ArrayList<>();

    void add(String backend, GenerationStats s) {
        last = s;
        lastBackend = backend;
        answers++;
        generated += s.generatedTokens();
        generationNanos += Math.max(0, s.generationNanos());
        prefilled += s.prefilledTokens();
        prefillNanos += s.promptNanos();
    }

    void moved(String from, String to) {
        moves.add(from + " -> " + to);
    }

    String describe(Session session) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "backend %s; context %d of %d tokens", session.backend().id(),
                session.tokens().length, session.contextLength()));
        if (last != null) {
            sb.append(System.lineSeparator()).append("last answer: ").append(GenerateCommand.stats(lastBackend, last));
        }
        sb.append(System.lineSeparator()).append(String.format(Locale.ROOT,
                "conversation: %d answers, %d tokens generated at %.1f t/s, %d prompt tokens computed at %.1f t/s",
                answers, generated, rate(generated, generationNanos), prefilled, rate(prefilled, prefillNanos)));
        if (!moves.isEmpty()) {
            sb.append("; moved ").append(String.join(", ", moves));
        }
        return sb.toString();
    }

    private static double rate(long tokens, long nanos) {
        return tokens == 0 || nanos <= 0 ? 0 : tokens * 1e9 / nanos;
    }
}
