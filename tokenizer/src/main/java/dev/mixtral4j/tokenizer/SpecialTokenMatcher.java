package dev.mixtral4j.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the texts of special tokens (control, user-defined, unknown) in raw text, leftmost
 * first and the longest at a position, so that the text between them can be encoded alone.
 */
final class SpecialTokenMatcher {
    private final Map<Character, int[]> byFirstChar = new HashMap<>();
    private final String[] pieces;
    /** First characters of all texts: a cheap test before the map lookup on every position. */
    private final BitSet firstChars = new BitSet(1 << 16);

    SpecialTokenMatcher(String[] pieces, List<Integer> ids) {
        this.pieces = pieces;
        Map<Character, List<Integer>> groups = new HashMap<>();
        for (int id : ids) {
            if (!pieces[id].isEmpty()) {
                groups.computeIfAbsent(pieces[id].charAt(0), c -> new ArrayList<>()).add(id);
            }
        }
        groups.forEach((c, list) -> {
            list.sort(Comparator.comparingInt((Integer id) -> -pieces[id].length()).thenComparingInt(id -> id));
            byFirstChar.put(c, list.stream().mapToInt(Integer::intValue).toArray());
            firstChars.set(c);
        });
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    /** The token whose text starts at {@code text[at]}, the longest if several, or -1. */
    int matchAt(String text, int at) {
        char c = text.charAt(at);
        if (!firstChars.get(c)) {
            return -1;
        }
        int[] candidates = byFirstChar.get(c);
        if (candidates != null) {
            for (int id : candidates) {
                if (text.startsWith(pieces[id], at)) {
                    return id;
                }
            }
        }
        return -1;
    }
}
