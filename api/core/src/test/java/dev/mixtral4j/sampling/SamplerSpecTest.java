package dev.mixtral4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;
import dev.mixtral4j.spi.SamplerProvider;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class SamplerSpecTest {

    @Test
    void parsesTheCliForm() {
        SamplerChain chain = Samplers.fromSpec("top-k:k=40,top-p:p=0.95,temperature:t=0.7,dist:seed=7");
        List<Sampler> s = chain.steps();
        assertEquals(4, s.size());
        assertEquals(40, ((TopKSampler) s.get(0)).k());
        assertEquals(0.95f, ((TopPSampler) s.get(1)).p());
        assertEquals(0.7f, ((TemperatureSampler) s.get(2)).temperature());
        assertEquals(7L, ((DistSampler) s.get(3)).seed());
    }

    @Test
    void sameSpecSameTokens() {
        float[] logits = new float[100];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i * 0.37) * 3;
        }
        SamplerChain a = Samplers.fromSpec("top-k:k=40,min-p:p=0.01,temperature:t=1.3,dist:seed=99");
        SamplerChain b = Samplers.fromSpec("top-k:k=40,min-p:p=0.01,temperature:t=1.3,dist:seed=99");
        int[] ta = new int[200];
        int[] tb = new int[200];
        for (int i = 0; i < 200; i++) {
            ta[i] = a.sample(logits);
            tb[i] = b.sample(logits);
        }
        assertArrayEquals(ta, tb);
        assertTrue(new TreeSet<>(java.util.Arrays.stream(ta).boxed().toList()).size() > 3, "really random");
    }

    @Test
    void continuationParametersAndDefaultSelector() {
        SamplerChain chain = Samplers.fromSpec("penalties:last_n=2,repeat=2,presence=0.5; greedy");
        PenaltySampler p = (PenaltySampler) chain.steps().get(0);
        p.accept(0);
        Candidates c = new Candidates(new float[] {4f, 1f});
        p.apply(c);
        assertEquals(1.5f, c.logits()[0]);
        assertTrue(chain.steps().getLast() instanceof GreedySampler);
        SamplerChain withDist = Samplers.fromSpec("top-k:k=3");
        assertTrue(withDist.steps().getLast() instanceof DistSampler);
        SamplerChain bias = Samplers.fromSpec("logit-bias:5=-inf,7=2.5,greedy");
        assertEquals(Map.of(5, Float.NEGATIVE_INFINITY, 7, 2.5f), ((LogitBiasSampler) bias.steps().get(0)).biases());
    }

    @Test
    void errorsNameTheProblem() {
        assertMessage("unknown sampler 'top-q'", () -> Samplers.fromSpec("top-q:q=1"));
        assertMessage("unknown parameter(s) [kk]", () -> Samplers.fromSpec("top-k:kk=1"));
        assertMessage("parameter k = 'many' is not an integer", () -> Samplers.fromSpec("top-k:k=many"));
        assertMessage("needs parameter t", () -> Samplers.fromSpec("temperature"));
        assertMessage("comes before any sampler name", () -> Samplers.fromSpec("k=1,greedy"));
        assertMessage("empty sampler spec", () -> Samplers.fromSpec(" , "));
        assertMessage("given twice", () -> Samplers.fromSpec("top-k:k=1,k=2"));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(part), ex.getMessage());
    }

    @Test
    void everyBuiltinIsRegisteredWithServiceLoader() {
        Set<String> names = new TreeSet<>();
        for (SamplerProvider p : ServiceLoader.load(SamplerProvider.class)) {
            names.add(p.name());
        }
        Set<String> builtins = new TreeSet<>();
        BuiltinSamplerProviders.all().forEach(p -> builtins.add(p.name()));
        assertEquals(builtins, names);
        assertEquals(Set.of("greedy", "dist", "temperature", "top-k", "top-p", "min-p", "penalties", "repetition",
                "frequency", "presence", "logit-bias"), builtins);
    }

    @Test
    void userProvidersReplaceBuiltins() {
        SamplerProvider mine = new SamplerProvider() {
            @Override
            public String name() {
                return "top-k";
            }

            @Override
            public Sampler create(Map<String, String> parameters) {
                return new TopKSampler(1);
            }
        };
        SamplerRegistry registry = SamplerRegistry.discover(getClass().getClassLoader(), List.of(mine));
        SamplerChain chain = registry.parse("top-k:anything=1,greedy");
        assertEquals(1, ((TopKSampler) chain.steps().get(0)).k());
    }
}
