package dev.mixtral4j.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringFilterTest {

    private static List<String> feed(StopStringFilter f, String... pieces) {
        List<String> out = new ArrayList<>();
        for (String p : pieces) {
            out.add(f.accept(p));
        }
        return out;
    }

    @Test
    void holdsBackPossibleStartsAndCutsTheStop() {
        StopStringFilter f = new StopStringFilter(List.of("STOP"));
        assertEquals(List.of("I ", "", "", "STe", "p ", "", "", "", ""),
                feed(f, "I ", "S", "T", "e", "p ", "S", "T", "O", "P"));
        assertEquals("STOP", f.matched());
        assertEquals("", f.flush());
        assertEquals("", f.accept("more"), "nothing after a stop");
    }

    @Test
    void stopInsideOnePieceKeepsTheTextBefore() {
        StopStringFilter f = new StopStringFilter(List.of("</answer>"));
        assertEquals(List.of("x", "42"), feed(f, "x", "42</answer>trailing"));
        assertEquals("</answer>", f.matched());
    }

    @Test
    void overlappingStopsTheEarliestWins() {
        StopStringFilter f = new StopStringFilter(List.of("bcd", "abx", "cd"));
        assertEquals(List.of("", "", "a"), feed(f, "a", "b", "cd"));
        assertEquals("bcd", f.matched());
    }

    @Test
    void flushReleasesAnUnfinishedPrefix() {
        StopStringFilter f = new StopStringFilter(List.of("\n\nUser:"));
        assertEquals(List.of("Hi", ""), feed(f, "Hi", "\n\nUs"));
        assertNull(f.matched());
        assertEquals("\n\nUs", f.flush());
    }

    @Test
    void withoutStopsEverythingPasses() {
        StopStringFilter f = new StopStringFilter(List.of());
        assertEquals(List.of("a", "b"), feed(f, "a", "b"));
    }

    @Test
    void concatenationEqualsTheTextUpToTheStopForEverySplit() {
        String text = "say ab, say abc, then abd and abcd!";
        List<String> stops = List.of("abcd", "d!");
        String expected = text.substring(0, text.indexOf("abcd"));
        for (int cut1 = 0; cut1 <= text.length(); cut1++) {
            for (int cut2 = cut1; cut2 <= text.length(); cut2 += 3) {
                StopStringFilter f = new StopStringFilter(stops);
                String out = f.accept(text.substring(0, cut1)) + f.accept(text.substring(cut1, cut2))
                        + f.accept(text.substring(cut2)) + f.flush();
                assertEquals(expected, out, cut1 + "/" + cut2);
            }
        }
    }
}
