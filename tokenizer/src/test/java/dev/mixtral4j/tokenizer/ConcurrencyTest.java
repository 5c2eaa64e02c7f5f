package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mixtral4j.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One tokenizer shared by several threads gives each the same answers as alone. */
class ConcurrencyTest {

    @Test
    void encodeDecodeAndTemplatesFromManyThreads() throws Exception {
        SpmTokenizer t = TestVocabularies.mistral();
        TestVocabularies.Builder b = TestVocabularies.Builder.standard().normal("▁", -1);
        b.template = ChatTemplateTest.MIXTRAL_INSTRUCT_TEMPLATE;
        SpmTokenizer templated = b.tokenizer();
        SplittableRandom rnd = new SplittableRandom(3);
        List<String> texts = new ArrayList<>();
        List<int[]> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String s = RoundTripTest.randomText(rnd, 80);
            texts.add(s);
            expected.add(t.encode(s, false, false));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int offset = w;
                futures.add(pool.submit(() -> {
                    for (int r = 0; r < 3; r++) {
                        for (int i = 0; i < texts.size(); i++) {
                            int k = (i + offset * 50) % texts.size();
                            int[] ids = t.encode(texts.get(k), false, false);
                            assertArrayEquals(expected.get(k), ids);
                            assertEquals(texts.get(k), t.decode(ids));
                        }
                        assertEquals("<s>[INST] q" + offset + " [/INST]",
                                templated.applyChatTemplate(List.of(Message.user("q" + offset)), true));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
