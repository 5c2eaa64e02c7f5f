package dev.mixtral4j.generation;

import java.util.List;

/**
 * Streams text while watching for stop strings: text that could still turn into a stop string
 * is held back, and a stop string that appears is cut off together with everything after it.
 * Works across any split of the text into pieces.
 */
public final class StopStringFilter {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private String matched;

    public StopStringFilter(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /**
     * Adds a piece of text and returns what is now safe to emit. After a stop string was found,
     * {@link #matched()} is set and further input is ignored.
     */
    public String accept(String piece) {
        if (matched != null) {
            return "";
        }
        held.append(piece);
        if (stops.isEmpty()) {
            String out = held.toString();
            held.setLength(0);
            return out;
        }
        // The earliest stop string occurrence wins; on a tie at the same place, the longest.
        int at = -1;
        String which = null;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (at < 0 || i < at || (i == at && s.length() > which.length()))) {
                at = i;
                which = s;
            }
        }
        if (at >= 0) {
            matched = which;
            String out = held.substring(0, at);
            held.setLength(0);
            return out;
        }
        int keep = heldSuffixLength();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** Length of the longest suffix of the held text that is a proper prefix of a stop string. */
    private int heldSuffixLength() {
        int best = 0;
        String h = held.toString();
        for (String s : stops) {
            int max = Math.min(s.length() - 1, h.length());
            for (int len = max; len > best; len--) {
                if (h.regionMatches(h.length() - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    /** The end of the stream: whatever is held is released (it can no longer become a stop string). */
    public String flush() {
        if (matched != null) {
            return "";
        }
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    /** The stop string found, or null. */
    public String matched() {
        return matched;
    }
}
