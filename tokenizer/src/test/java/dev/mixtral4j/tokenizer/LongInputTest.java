package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A guard against quadratic behaviour, not a measurement (figures come from the JMH benchmark):
 * a 1 MB line without spaces takes well under a second with the heap merge, while a
 * rescanning merge would take hours; the limit sits far from both.
 */
class LongInputTest {

    @Test
    void megabyteLineWithoutSpaces() {
        SpmTokenizer t = TestVocabularies.mistral();
        StringBuilder sb = new StringBuilder(1 << 20);
        String unit = "abcdefghijklmnopqrstuvwxyz0123456789éà漢字";
        while (sb.length() < (1 << 20)) {
            sb.append(unit);
        }
        String line = sb.toString();
        int[] ids = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> t.encode(line, false, false));
        assertEquals(line, t.decode(ids));
        String same = "a".repeat(1 << 20);
        int[] ids2 = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> t.encode(same, false, false));
        assertEquals(same, t.decode(ids2));
    }
}
