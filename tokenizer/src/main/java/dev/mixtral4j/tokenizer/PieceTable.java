package dev.mixtral4j.tokenizer;

import java.util.Arrays;

/**
 * Piece text to token id, looked up by a range of a {@code char[]} without building a String:
 * the merge loop asks for every adjacent pair, so lookups must not allocate. Open addressing
 * with linear probing; each slot keeps the full hash next to the id, and all piece texts sit in
 * one {@code char[]}, so a probe that misses touches no other memory.
 */
final class PieceTable {
    private final int[] slotIds;
    private final int[] slotHashes;
    private final int mask;
    private final char[] pool;
    private final int[] offsets;
    private final int[] lengths;

    PieceTable(String[] pieces, boolean[] include) {
        int n = 0;
        int chars = 0;
        for (int i = 0; i < pieces.length; i++) {
            if (include[i]) {
                n++;
                chars += pieces[i].length();
            }
        }
        int cap = Integer.highestOneBit(Math.max(4, n * 2)) << 1;
        slotIds = new int[cap];
        Arrays.fill(slotIds, -1);
        slotHashes = new int[cap];
        mask = cap - 1;
        pool = new char[chars];
        offsets = new int[pieces.length];
        lengths = new int[pieces.length];
        int at = 0;
        for (int id = 0; id < pieces.length; id++) {
            if (!include[id]) {
                continue;
            }
            String p = pieces[id];
            p.getChars(0, p.length(), pool, at);
            offsets[id] = at;
            lengths[id] = p.length();
            at += p.length();
            // SentencePiece keeps the first id of a duplicated piece.
            if (find(pool, offsets[id], lengths[id]) >= 0) {
                continue;
            }
            int h = hash(pool, offsets[id], lengths[id]);
            int slot = h & mask;
            while (slotIds[slot] >= 0) {
                slot = (slot + 1) & mask;
            }
            slotIds[slot] = id;
            slotHashes[slot] = h;
        }
    }

    /** The id of the piece equal to {@code text[from, from+len)}, or -1. */
    int find(char[] text, int from, int len) {
        int h = hash(text, from, len);
        for (int slot = h & mask; ; slot = (slot + 1) & mask) {
            int id = slotIds[slot];
            if (id < 0) {
                return -1;
            }
            if (slotHashes[slot] == h && lengths[id] == len
                    && Arrays.equals(pool, offsets[id], offsets[id] + len, text, from, from + len)) {
                return id;
            }
        }
    }

    int find(String s) {
        return find(s.toCharArray(), 0, s.length());
    }

    private static int hash(char[] s, int from, int len) {
        int h = len;
        for (int i = from; i < from + len; i++) {
            h = 31 * h + s[i];
        }
        h *= 0x9E3779B9;
        return h ^ (h >>> 15);
    }
}
