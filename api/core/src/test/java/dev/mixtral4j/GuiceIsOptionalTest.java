package dev.mixtral4j;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The api must work when Guice is not on the class path: only dev.mixtral4j.inject may use it. */
class GuiceIsOptionalTest {

    @Test
    void onlyTheInjectPackageTouchesGuice() {
        JavaClasses api = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.mixtral4j");
        noClasses().that().resideOutsideOfPackage("dev.mixtral4j.inject..")
                .should().dependOnClassesThat().resideInAnyPackage("com.google.inject..", "jakarta.inject..",
                        "com.google.common..")
                .check(api);
    }

    @Test
    void backendsAndSamplersLoadWithoutGuice() throws Exception {
        URL apiClasses = Backends.class.getProtectionDomain().getCodeSource().getLocation();
        URL slf4j = org.slf4j.Logger.class.getProtectionDomain().getCodeSource().getLocation();
        // Parent: the platform loader, so nothing from the test class path (Guice included) leaks in.
        try (URLClassLoader isolated = new URLClassLoader(new URL[] {apiClasses, slf4j},
                ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName("com.google.inject.Module", false, isolated));
            Class<?> backends = Class.forName("dev.mixtral4j.Backends", true, isolated);
            Object discovered = backends.getMethod("discover", ClassLoader.class).invoke(null, isolated);
            assertEquals(List.of(), backends.getMethod("ids").invoke(discovered));
            Class<?> samplers = Class.forName("dev.mixtral4j.sampling.Samplers", true, isolated);
            Object chain = samplers.getMethod("fromSpec", String.class).invoke(null, "top-k:k=2,greedy");
            Object token = chain.getClass().getMethod("sample", float[].class).invoke(chain, (Object) new float[] {1f, 3f, 2f});
            assertEquals(1, token);
            // Loading every non-inject class must not need Guice either.
            for (String name : List.of("dev.mixtral4j.Backends", "dev.mixtral4j.sampling.SamplerRegistry",
                    "dev.mixtral4j.sampling.BuiltinSamplerProviders")) {
                Class.forName(name, true, isolated).getDeclaredMethods();
            }
        }
    }
}
