package dev.mixtral4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Tests run on the class path; this one loads the api as a named module (with SLF4J, without
 * Guice) in its own layer, to check what module-info declares: exports, and the built-in samplers
 * provided to ServiceLoader.
 */
class ModulePathTest {

    @Test
    void apiWorksAsANamedModuleWithoutGuice() throws Exception {
        Path api = Path.of(Backends.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path slf4j = Path.of(org.slf4j.Logger.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf = boot.configuration().resolveAndBind(ModuleFinder.of(api, slf4j), ModuleFinder.of(),
                Set.of("dev.mixtral4j.api"));
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        Module module = layer.findModule("dev.mixtral4j.api").orElseThrow();
        assertTrue(layer.findModule("com.google.guice").isEmpty());

        Set<String> exported = module.getDescriptor().exports().stream().map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(exported.containsAll(Set.of("dev.mixtral4j", "dev.mixtral4j.spi", "dev.mixtral4j.sampling",
                "dev.mixtral4j.generation", "dev.mixtral4j.inject")), exported.toString());

        ClassLoader loader = layer.findLoader("dev.mixtral4j.api");
        Class<?> spi = loader.loadClass("dev.mixtral4j.spi.SamplerProvider");
        Set<String> names = new TreeSet<>();
        for (Object p : ServiceLoader.load(layer, spi)) {
            names.add((String) spi.getMethod("name").invoke(p));
        }
        assertEquals(new TreeSet<>(Set.of("greedy", "dist", "temperature", "top-k", "top-p", "min-p", "penalties",
                "repetition", "frequency", "presence", "logit-bias")), names);

        Class<?> backends = loader.loadClass("dev.mixtral4j.Backends");
        assertEquals(module, backends.getModule());
        Object discovered = backends.getMethod("discover", ModuleLayer.class).invoke(null, layer);
        assertEquals(java.util.List.of(), backends.getMethod("ids").invoke(discovered));
    }
}
