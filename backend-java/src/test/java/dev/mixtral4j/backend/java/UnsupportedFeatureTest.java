package dev.mixtral4j.backend.java;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.testkit.Fixtures;
import dev.mixtral4j.testkit.GgufRewrite;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The files the java backend used to run while ignoring part of their math (logits off by 0.9 to
 * 7.7): each is now refused by supports() and by load, naming the key or tensor.
 */
class UnsupportedFeatureTest {
    @TempDir
    static Path dir;

    static Stream<Arguments> variants() {
        Path moe = Fixtures.tinyMoe(GgmlType.F32).path();
        return Stream.of(
                Arguments.of("llama.rope.scaling.factor", GgufRewrite.of(moe)
                        .metadata("llama.rope.scaling.type", MetadataValue.ofString("linear"))
                        .metadata("llama.rope.scaling.factor", MetadataValue.ofFloat32(4))),
                Arguments.of("rope_freqs.weight", GgufRewrite.of(moe).tensor("rope_freqs.weight", new long[] {8}, new float[8])),
                Arguments.of("blk.0.attn_output.bias", GgufRewrite.of(moe)
                        .tensor("blk.0.attn_output.bias", new long[] {64}, new float[64])),
                Arguments.of("llama.attention.causal", GgufRewrite.of(moe)
                        .metadata("llama.attention.causal", MetadataValue.ofBool(false))),
                Arguments.of("qwen2moe", asQwen2Moe(moe)),
                Arguments.of("llama.final_logit_softcapping", GgufRewrite.of(moe)
                        .metadata("llama.final_logit_softcapping", MetadataValue.ofFloat32(30))));
    }

    /** The same weights under another architecture's name and keys: what `info` called not runnable. */
    private static GgufRewrite asQwen2Moe(Path moe) {
        GgufRewrite r = GgufRewrite.of(moe).metadata("general.architecture", MetadataValue.ofString("qwen2moe"));
        try (var g = dev.mixtral4j.gguf.GgufFile.open(moe)) {
            g.metadata().entries().forEach((k, v) -> {
                if (k.startsWith("llama.")) {
                    r.removeMetadata(k).metadata("qwen2moe." + k.substring("llama.".length()), v);
                }
            });
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void refusedNamingTheFeature(String name, GgufRewrite variant) throws Exception {
        Path p = variant.write(dir.resolve(name.replace('.', '_') + ".gguf"));
        Backend java = new JavaBackendProvider().backend();
        try (ModelFile m = ModelFile.open(p)) {
            Availability a = java.supports(m);
            assertFalse(a.available(), name);
            assertTrue(a.reason().contains(name) && a.reason().contains("java backend does not compute"), a.reason());
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> java.load(m, LoadOptions.defaults()));
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
    }
}
