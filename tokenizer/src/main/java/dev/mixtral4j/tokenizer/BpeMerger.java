package dev.mixtral4j.tokenizer;

import java.util.Arrays;

/**
 * SentencePiece-BPE on one fragment of text (spaces already replaced by U+2581).
 *
 * <p>The text starts as one symbol per code point, kept in a doubly linked list. Every adjacent
 * pair whose concatenation is a mergeable piece goes into a max-heap ordered by the piece's
 * score, leftmost first on ties. Popping the best pair merges it and offers the two new
 * neighbouring pairs, so the work is O(n log n) however long the text and whatever it holds;
 * a popped pair whose symbols changed since it was queued is stale and dropped. Symbols left that are not pieces fall back to byte tokens
 * {@code <0xXX>} of their UTF-8 encoding, or to the unknown token when a byte has no token.
 *
 * <p>Not thread-safe: one instance per encoding call.
 */
final class BpeMerger {
    private final PieceTable mergeable;
    private final float[] scores;
    private final int[] byteTokens;
    private final int unkId;

    // symbols: a linked list over code points of the text
    private int[] start;
    private int[] len;
    private int[] prev;
    private int[] next;

    /**
     * Candidate pairs as a binary max-heap of longs: the score's order-preserving bits above,
     * the complement of the left symbol's index below, so one comparison orders by score and
     * then leftmost. A popped pair is re-checked against the symbols as they are now: if the
     * pair starting at that symbol still forms a piece of exactly that score, merging it is
     * what a fresh queue entry would have done at the same priority.
     */
    private long[] heap;
    private int heapSize;

    BpeMerger(PieceTable mergeable, float[] scores, int[] byteTokens, int unkId) {
        this.mergeable = mergeable;
        this.scores = scores;
        this.byteTokens = byteTokens;
        this.unkId = unkId;
    }

    /** Appends the tokens of {@code text[0, length)} to {@code out}. */
    void encode(char[] text, int length, IntList out) {
        if (length == 0) {
            return;
        }
        int n = splitCodePoints(text, length);
        heap = new long[Math.max(16, 2 * n)];
        heapSize = 0;
        for (int i = 1; i < n; i++) {
            offer(text, i - 1);
        }
        while (heapSize > 0) {
            long key = poll();
            int left = ~(int) key;
            int right = next[left];
            if (len[left] == 0 || right < 0) {
                continue;
            }
            int id = mergeable.find(text, start[left], len[left] + len[right]);
            if (id < 0 || sortable(scores[id]) != (int) (key >> 32)) {
                continue; // stale: the symbols changed since this pair was queued
            }
            len[left] += len[right];
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                offer(text, prev[left]);
            }
            if (next[left] >= 0) {
                offer(text, left);
            }
        }
        for (int s = 0; s >= 0; s = next[s]) {
            int id = mergeable.find(text, start[s], len[s]);
            if (id >= 0) {
                out.add(id);
            } else {
                byteFallback(text, start[s], len[s], out);
            }
        }
    }

    private int splitCodePoints(char[] text, int length) {
        start = new int[length];
        len = new int[length];
        int n = 0;
        for (int i = 0; i < length; ) {
            int l = Character.isHighSurrogate(text[i]) && i + 1 < length && Character.isLowSurrogate(text[i + 1]) ? 2 : 1;
            start[n] = i;
            len[n] = l;
            n++;
            i += l;
        }
        prev = new int[n];
        next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        return n;
    }

    /** Queues the pair of symbol {@code left} and its right neighbour when they form a piece. */
    private void offer(char[] text, int left) {
        int right = next[left];
        int id = mergeable.find(text, start[left], len[left] + len[right]);
        if (id < 0) {
            return;
        }
        long key = ((long) sortable(scores[id]) << 32) | (~left & 0xFFFF_FFFFL);
        if (heapSize == heap.length) {
            heap = Arrays.copyOf(heap, heapSize * 2);
        }
        int i = heapSize++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] >= key) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = key;
    }

    private long poll() {
        long top = heap[0];
        long last = heap[--heapSize];
        int i = 0;
        int half = heapSize >>> 1;
        while (i < half) {
            int c = 2 * i + 1;
            if (c + 1 < heapSize && heap[c + 1] > heap[c]) {
                c++;
            }
            if (heap[c] <= last) {
                break;
            }
            heap[i] = heap[c];
            i = c;
        }
        if (heapSize > 0) {
            heap[i] = last;
        }
        return top;
    }

    /** Float bits as an int with the same order as the floats (NaN is rejected at load). */
    private static int sortable(float f) {
        int bits = Float.floatToIntBits(f + 0.0f);
        return bits < 0 ? bits ^ 0x7FFF_FFFF : bits;
    }

    private void byteFallback(char[] text, int from, int length, IntList out) {
        byte[] utf8 = new byte[4];
        for (int i = from; i < from + length; ) {
            int cp = Character.codePointAt(text, i, from + length);
            i += Character.charCount(cp);
            int n = Utf8.encode(cp, utf8);
            boolean allBytes = true;
            for (int k = 0; k < n; k++) {
                allBytes &= byteTokens[utf8[k] & 0xFF] >= 0;
            }
            if (allBytes) {
                for (int k = 0; k < n; k++) {
                    out.add(byteTokens[utf8[k] & 0xFF]);
                }
            } else if (unkId >= 0) {
                out.add(unkId); // one unknown token per character, as SentencePiece without byte fallback
            } else {
                throw new IllegalStateException(String.format(
                        "U+%04X is not in the vocabulary, which has neither its byte tokens nor an unknown token", cp));
            }
        }
    }
}
