package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Sampler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The grammar of {@link Samplers#fromSpec(String)}. */
final class SamplerSpecParser {

    private SamplerSpecParser() {
    }

    static SamplerChain parse(String spec, SamplerRegistry registry) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty sampler spec");
        }
        List<String> names = new ArrayList<>();
        List<Map<String, String>> params = new ArrayList<>();
        for (String raw : spec.split("[,;]")) {
            String item = raw.trim();
            if (item.isEmpty()) {
                continue;
            }
            int colon = item.indexOf(':');
            int eq = item.indexOf('=');
            if (colon < 0 && eq >= 0) {
                // "key=value" continues the parameters of the sampler before it.
                if (names.isEmpty()) {
                    throw new IllegalArgumentException("sampler spec '" + spec + "': parameter '" + item
                            + "' comes before any sampler name");
                }
                putParameter(spec, params.getLast(), item);
                continue;
            }
            String name = (colon < 0 ? item : item.substring(0, colon)).trim();
            if (name.isEmpty()) {
                throw new IllegalArgumentException("sampler spec '" + spec + "': missing sampler name in '" + item + "'");
            }
            Map<String, String> p = new LinkedHashMap<>();
            if (colon >= 0) {
                String rest = item.substring(colon + 1).trim();
                if (!rest.isEmpty()) {
                    putParameter(spec, p, rest);
                }
            }
            names.add(name);
            params.add(p);
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("empty sampler spec");
        }
        List<Sampler> steps = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            steps.add(registry.create(names.get(i), params.get(i)));
        }
        if (!steps.getLast().selectsToken()) {
            steps.add(registry.create("dist", Map.of()));
        }
        return new SamplerChain(steps);
    }

    private static void putParameter(String spec, Map<String, String> into, String item) {
        int eq = item.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("sampler spec '" + spec + "': expected key=value, got '" + item + "'");
        }
        String key = item.substring(0, eq).trim();
        if (into.put(key, item.substring(eq + 1).trim()) != null) {
            throw new IllegalArgumentException("sampler spec '" + spec + "': parameter " + key + " given twice");
        }
    }
}
