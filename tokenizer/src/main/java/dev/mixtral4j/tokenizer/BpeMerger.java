package dev.mixtral4j.tokenizer;

import java.util.Arrays;

/**
 * SentencePiece-BPE on one fragment of text (spaces already replaced by U+2581).
 *
 * <p>The text starts as one symbol per code point, kept in a doubly linked list. Every adjacent
 * pair whose concatenation is a mergeable piece goes into a max-heap ordered by the piece's
 * score, leftmost first on ties. Popping the best pair merges it and offers the two new
 * neighbouring pairs, so the work is O(n log n) however long the text and whatever it holds;
 * a popped pair whose symbols changed since it was queued is stale and dropped (its combined
 * length no longer matches). Symbols left that are not pieces fall back to byte tokens
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

    // candidate pairs: an entry pool and a binary heap of pool indices
    private float[] pairScore;
    private int[] pairLeft;
    private int[] pairRight;
    private int[] pairLen;
    private int pairCount;
    private int[] heap;
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
        int capacity = Math.max(16, 3 * n);
        pairScore = new float[capacity];
        pairLeft = new int[capacity];
        pairRight = new int[capacity];
        pairLen = new int[capacity];
        heap = new int[capacity];
        pairCount = 0;
        heapSize = 0;

        for (int i = 1; i < n; i++) {
            offer(text, i - 1, i);
        }
        while (heapSize > 0) {
            int p = poll();
            int left = pairLeft[p];
            int right = pairRight[p];
            if (len[left] == 0 || len[right] == 0 || len[left] + len[right] != pairLen[p]) {
                continue; // stale: one side was merged into something else meanwhile
            }
            len[left] += len[right];
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                offer(text, prev[left], left);
            }
            if (next[left] >= 0) {
                offer(text, left, next[left]);
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

    private void offer(char[] text, int left, int right) {
        int l = len[left] + len[right];
        int id = mergeable.find(text, start[left], l);
        if (id < 0) {
            return;
        }
        if (pairCount == pairScore.length) {
            int c = pairCount * 2;
            pairScore = Arrays.copyOf(pairScore, c);
            pairLeft = Arrays.copyOf(pairLeft, c);
            pairRight = Arrays.copyOf(pairRight, c);
            pairLen = Arrays.copyOf(pairLen, c);
        }
        int p = pairCount++;
        pairScore[p] = scores[id];
        pairLeft[p] = left;
        pairRight[p] = right;
        pairLen[p] = l;
        if (heapSize == heap.length) {
            heap = Arrays.copyOf(heap, heapSize * 2);
        }
        int i = heapSize++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(p, heap[parent])) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = p;
    }

    private int poll() {
        int top = heap[0];
        int last = heap[--heapSize];
        int i = 0;
        int half = heapSize >>> 1;
        while (i < half) {
            int c = 2 * i + 1;
            if (c + 1 < heapSize && before(heap[c + 1], heap[c])) {
                c++;
            }
            if (!before(heap[c], last)) {
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

    /** Higher score first; on equal scores the leftmost pair. */
    private boolean before(int a, int b) {
        float sa = pairScore[a];
        float sb = pairScore[b];
        return sa > sb || (sa == sb && pairLeft[a] < pairLeft[b]);
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
