package dev.mixtral4j.tokenizer;

/**
 * Piece text to token id, looked up by a range of a {@code char[]} without building a String:
 * the merge loop asks for every adjacent pair, so lookups must not allocate. Open addressing
 * with linear probing over a power-of-two table.
 */
final class PieceTable {
    private final String[] keys;
    private final int[] ids;
    private final int mask;

    PieceTable(String[] pieces, boolean[] include) {
        int n = 0;
        for (int i = 0; i < pieces.length; i++) {
            if (include[i]) {
                n++;
            }
        }
        int cap = Integer.highestOneBit(Math.max(4, n * 2)) << 1;
        keys = new String[cap];
        ids = new int[cap];
        mask = cap - 1;
        for (int id = 0; id < pieces.length; id++) {
            if (!include[id]) {
                continue;
            }
            String p = pieces[id];
            int slot = hash(p, 0, p.length()) & mask;
            while (keys[slot] != null && !keys[slot].equals(p)) {
                slot = (slot + 1) & mask;
            }
            // SentencePiece keeps the first id of a duplicated piece.
            if (keys[slot] == null) {
                keys[slot] = p;
                ids[slot] = id;
            }
        }
    }

    /** The id of the piece equal to {@code text[from, from+len)}, or -1. */
    int find(char[] text, int from, int len) {
        int slot = hash(text, from, len) & mask;
        while (true) {
            String k = keys[slot];
            if (k == null) {
                return -1;
            }
            if (k.length() == len && regionEquals(k, text, from)) {
                return ids[slot];
            }
            slot = (slot + 1) & mask;
        }
    }

    int find(String s) {
        return find(s.toCharArray(), 0, s.length());
    }

    private static boolean regionEquals(String k, char[] text, int from) {
        for (int i = 0, n = k.length(); i < n; i++) {
            if (k.charAt(i) != text[from + i]) {
                return false;
            }
        }
        return true;
    }

    private static int hash(String s, int from, int len) {
        int h = 0;
        for (int i = from; i < from + len; i++) {
            h = 31 * h + s.charAt(i);
        }
        return mix(h);
    }

    private static int hash(char[] s, int from, int len) {
        int h = 0;
        for (int i = from; i < from + len; i++) {
            h = 31 * h + s[i];
        }
        return mix(h);
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
