package dev.mixtral4j.samples.cli;

import dev.mixtral4j.routing.RoutingStatistics;
import dev.mixtral4j.routing.RoutingTrace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --json} document of {@code mixtral4j routing} (documented in docs/routing.md):
 * {@code {"model", "backend", "layers", "expertCount", "expertsUsed", "files": [{"file", "tokens",
 * "texts", "layers": [{"layer", "experts": [[first, second], ...], "weights": [[w1, w2], ...]}],
 * "stats": {...}}]}}, experts in order of decreasing router probability.
 */
final class RoutingJson {
    private RoutingJson() {
    }

    static Map<String, Object> document(String model, String backend, List<RoutedText> files) {
        RoutingTrace first = files.getFirst().trace();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", model);
        doc.put("backend", backend);
        doc.put("layers", first.layerCount());
        doc.put("expertCount", first.expertCount());
        doc.put("expertsUsed", first.expertsUsed());
        List<Object> out = new ArrayList<>();
        for (RoutedText f : files) {
            out.add(file(f));
        }
        doc.put("files", out);
        return doc;
    }

    static Map<String, Object> file(RoutedText f) {
        RoutingTrace t = f.trace();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", f.file());
        List<Integer> tokens = new ArrayList<>(t.tokenCount());
        for (int i = 0; i < t.tokenCount(); i++) {
            tokens.add(t.token(i));
        }
        m.put("tokens", tokens);
        m.put("texts", f.texts());
        m.put("truncatedTokens", f.truncated());
        List<Object> layers = new ArrayList<>();
        for (int l = 0; l < t.layerCount(); l++) {
            List<Object> experts = new ArrayList<>(t.tokenCount());
            List<Object> weights = new ArrayList<>(t.tokenCount());
            for (int i = 0; i < t.tokenCount(); i++) {
                List<Integer> e = new ArrayList<>(t.expertsUsed());
                List<Double> w = new ArrayList<>(t.expertsUsed());
                for (int r = 0; r < t.expertsUsed(); r++) {
                    e.add(t.expert(l, i, r));
                    w.add(round(t.weight(l, i, r)));
                }
                experts.add(e);
                weights.add(w);
            }
            Map<String, Object> layer = new LinkedHashMap<>();
            layer.put("layer", l);
            layer.put("experts", experts);
            layer.put("weights", weights);
            layers.add(layer);
        }
        m.put("layers", layers);
        m.put("stats", stats(f.stats()));
        return m;
    }

    static Map<String, Object> stats(RoutingStatistics s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", s.tokenCount());
        m.put("pairs", s.pairCount());
        Map<String, Object> random = new LinkedHashMap<>();
        random.put("sameFirstChoice", s.randomSameFirstChoice());
        random.put("sharedExpert", s.randomSharedExpert());
        m.put("random", random);
        List<Object> layers = new ArrayList<>();
        for (int l = 0; l < s.layerCount(); l++) {
            Map<String, Object> layer = new LinkedHashMap<>();
            layer.put("layer", l);
            layer.put("sameFirstChoice", s.sameFirstChoiceRate(l));
            layer.put("sharedExpert", s.sharedExpertRate(l));
            List<Long> first = new ArrayList<>();
            List<Long> any = new ArrayList<>();
            for (int e = 0; e < s.expertCount(); e++) {
                first.add(s.firstChoiceCount(l, e));
                any.add(s.anyChoiceCount(l, e));
            }
            layer.put("firstChoice", first);
            layer.put("anyChoice", any);
            layers.add(layer);
        }
        m.put("layers", layers);
        return m;
    }

    /** Six decimals are plenty for a weight and keep the file small. */
    private static double round(float w) {
        return Math.round(w * 1e6) / 1e6;
    }
}
