package dev.mixtral4j.samples.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module rules of DESIGN.md, checked on the compiled classes of every module (all of them are
 * on this module's test class path: api and tokenizer at compile scope, the backends at run time).
 * Modules are told apart by package: {@code dev.mixtral4j.tokenizer..}, {@code dev.mixtral4j.backend.<id>..},
 * {@code dev.mixtral4j.samples..}, {@code dev.mixtral4j.tools..} (the tools artifact),
 * {@code dev.mixtral4j.testkit..} (the testkit artifact, here at test scope but its main classes count
 * as production); everything else under {@code dev.mixtral4j} is api.
 */
class ModuleRulesTest {
    static final String ROOT = "dev.mixtral4j";
    static final String TOKENIZER = "dev.mixtral4j.tokenizer..";
    static final String BACKENDS = "dev.mixtral4j.backend..";
    static final String SAMPLES = "dev.mixtral4j.samples..";
    static final String SERVER_PACKAGE = "dev.mixtral4j.samples.server";
    static final String SERVER = SERVER_PACKAGE + "..";
    static final String TOOLS = "dev.mixtral4j.tools..";
    static final String TESTKIT = "dev.mixtral4j.testkit..";

    static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TEST_FIXTURES)
                .importPackages(ROOT);
    }

    static DescribedPredicate<JavaClass> inApi() {
        return DescribedPredicate.describe("in api",
                c -> (c.getPackageName().equals(ROOT) || c.getPackageName().startsWith(ROOT + "."))
                        && !c.getPackageName().startsWith("dev.mixtral4j.tokenizer")
                        && !c.getPackageName().startsWith("dev.mixtral4j.backend")
                        && !c.getPackageName().startsWith("dev.mixtral4j.samples")
                        && !c.getPackageName().startsWith("dev.mixtral4j.tools")
                        && !c.getPackageName().startsWith("dev.mixtral4j.testkit"));
    }

    /** The backend a class belongs to ("java" for dev.mixtral4j.backend.java.kernels.X), or null. */
    static String backendOf(String packageName) {
        String prefix = "dev.mixtral4j.backend.";
        if (!packageName.startsWith(prefix)) {
            return null;
        }
        String rest = packageName.substring(prefix.length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    @Test
    void theImportSeesEveryModuleThatHasClasses() {
        // A rule over no classes proves nothing: make sure api and samples (at least) were read,
        // which also shows this ArchUnit version reads Java 25 class files.
        assertTrue(production.stream().anyMatch(c -> c.getName().equals("dev.mixtral4j.spi.BackendProvider")),
                "api classes were not imported");
        assertTrue(production.stream().anyMatch(c -> c.getPackageName().startsWith("dev.mixtral4j.samples.cli")),
                "samples classes were not imported");
        assertTrue(production.stream().anyMatch(c -> c.getName().equals("dev.mixtral4j.tools.synthetic.SyntheticModel")),
                "tools classes were not imported");
        assertTrue(production.stream().anyMatch(c -> c.getName().equals("dev.mixtral4j.testkit.BackendConformanceKit")),
                "testkit classes were not imported");
        assertFalse(production.stream().anyMatch(c -> c.getSimpleName().endsWith("Test")),
                "test classes leaked into the production import");
    }

    @Test
    void apiKnowsNoBackendAndNoTokenizer() {
        noClasses().that(inApi())
                .should().dependOnClassesThat().resideInAnyPackage(BACKENDS, TOKENIZER, SAMPLES)
                .because("api is the stable surface every module builds on; backends and tokenizers plug in through its SPIs")
                .check(production);
    }

    @Test
    void apiKnowsNoToolsAndNoTestkit() {
        noClasses().that(inApi())
                .should().dependOnClassesThat().resideInAnyPackage(TOOLS, TESTKIT)
                .because("every application ships the api; GGUF writing, quantizers, synthetic models and the kit stay out of it")
                .check(production);
    }

    @Test
    void runtimeModulesKnowNoToolsAndNoTestkit() {
        noClasses().that().resideInAnyPackage(BACKENDS, TOKENIZER)
                .should().dependOnClassesThat().resideInAnyPackage(TOOLS, TESTKIT)
                .because("backends and the tokenizer run in applications, which ship neither tools nor testkit")
                .check(production);
    }

    @Test
    void toolsAndTestkitBuildOnlyOnTheApi() {
        noClasses().that().resideInAnyPackage(TOOLS, TESTKIT)
                .should().dependOnClassesThat().resideInAnyPackage(BACKENDS, TOKENIZER, SAMPLES)
                .check(production);
        noClasses().that().resideInAPackage(TOOLS)
                .should().dependOnClassesThat().resideInAPackage(TESTKIT)
                .because("the testkit builds on the tools, not the other way round")
                .check(production);
    }

    @Test
    void apiNeedsOnlyTheJdkAndSlf4jAndGuiceOnlyInItsInjectPackage() {
        // Guice is `requires static` (optional): a class outside dev.mixtral4j.inject that touched it
        // would fail for every user without Guice on the path.
        classes().that(inApi())
                .should().onlyDependOnClassesThat(DescribedPredicate.describe("in the JDK, SLF4J or api",
                        (JavaClass c) -> c.getPackageName().startsWith("java") || c.getPackageName().startsWith("jdk.")
                                || c.getPackageName().startsWith("org.slf4j") || inApi().test(c)
                                || c.isPrimitive() || c.isArray() && c.getBaseComponentType().isPrimitive()))
                .orShould().resideInAPackage("dev.mixtral4j.inject..")
                .check(production);
    }

    @Test
    void theSpiStandsAloneWithoutTheFacade() {
        // A backend or tokenizer author reads spi (plus the gguf and model types it hands over);
        // nothing there may lead back up to the user API, the generation loop or the samplers.
        noClasses().that().resideInAPackage("dev.mixtral4j.spi..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT, "dev.mixtral4j.generation..",
                        "dev.mixtral4j.sampling..", "dev.mixtral4j.inject..")
                .because("the SPI is what implementers compile against; the facade builds on it, never the reverse")
                .check(production);
        assertTrue(production.stream().anyMatch(c -> c.getPackageName().equals("dev.mixtral4j.spi")),
                "spi classes were not imported");
    }

    @Test
    void tokenizerDependsOnlyOnApi() {
        noClasses().that().resideInAPackage(TOKENIZER)
                .should().dependOnClassesThat().resideInAnyPackage(BACKENDS, SAMPLES)
                .allowEmptyShould(true)
                .check(production);
    }

    @Test
    void backendsNeverSeeEachOtherNorTokenizerNorSamples() {
        ArchRule rule = classes().that().resideInAPackage(BACKENDS)
                .should(dependOnNoOtherBackend())
                .andShould().onlyDependOnClassesThat(DescribedPredicate.not(
                        DescribedPredicate.describe("in tokenizer or samples",
                                (JavaClass c) -> c.getPackageName().startsWith("dev.mixtral4j.tokenizer")
                                        || c.getPackageName().startsWith("dev.mixtral4j.samples"))))
                .allowEmptyShould(true);
        rule.check(production);
    }

    @Test
    void samplesNeverUseTheTestkit() {
        // The CLI may use the tools (demo and bench write synthetic models), never the test library.
        noClasses().that().resideInAPackage(SAMPLES)
                .should().dependOnClassesThat().resideInAPackage(TESTKIT)
                .check(production);
    }

    @Test
    void samplesReachBackendsOnlyThroughServiceLoader() {
        noClasses().that().resideInAPackage(SAMPLES)
                .should().dependOnClassesThat().resideInAPackage(BACKENDS)
                .because("the CLI and examples find backends with ServiceLoader, so any backend jar plugs in")
                .check(production);
    }

    @Test
    void theServerReachesBackendsOnlyThroughTheApi() {
        // The server module depends on the api alone at compile time: the tokenizer (chat templates)
        // and the backends come in through the api's SPIs at run time, and the CLI is its user.
        assertTrue(production.stream().anyMatch(c -> c.getPackageName().equals(SERVER_PACKAGE)),
                "server classes were not imported");
        classes().that().resideInAPackage(SERVER)
                .should().onlyDependOnClassesThat(DescribedPredicate.describe(
                        "in the JDK, the api, the server itself or its HTTP and JSON libraries",
                        (JavaClass c) -> c.getPackageName().startsWith("java") || c.getPackageName().startsWith("jdk.")
                                || c.getPackageName().startsWith("org.slf4j") || inApi().test(c)
                                || c.getPackageName().startsWith(SERVER_PACKAGE)
                                || c.getPackageName().startsWith("io.helidon.")
                                || c.getPackageName().startsWith("com.fasterxml.jackson.")
                                || c.isPrimitive() || c.isArray() && c.getBaseComponentType().isPrimitive()))
                .because("the server reaches backends and the tokenizer only through the api")
                .check(production);
    }

    @Test
    void nothingOutsideABackendTouchesItsPackages() {
        // Backends export nothing: every package of a backend is internal to it.
        classes().should(dependOnNoOtherBackend()).check(production);
    }

    @Test
    void theRulesCatchAViolation() {
        // The same condition, run on a class that does reach into a backend's packages, must fail:
        // otherwise the rules above could pass for the wrong reason.
        JavaClasses fixture = new ClassFileImporter().importClasses(ReachesIntoBackend.class,
                dev.mixtral4j.backend.fixture.InternalThing.class);
        EvaluationResult result = classes().that().haveSimpleName("ReachesIntoBackend")
                .should(dependOnNoOtherBackend()).evaluate(fixture);
        assertTrue(result.hasViolation(), "a dependency on dev.mixtral4j.backend.fixture went unnoticed");
        EvaluationResult samplesRule = noClasses().that().haveSimpleName("ReachesIntoBackend")
                .should().dependOnClassesThat().resideInAPackage(BACKENDS).evaluate(fixture);
        assertTrue(samplesRule.hasViolation());
        EvaluationResult apiRule = noClasses().that(inApi())
                .should().dependOnClassesThat().resideInAnyPackage(TOOLS, TESTKIT)
                .evaluate(new ClassFileImporter().importClasses(dev.mixtral4j.fixture.ApiClassUsingTools.class,
                        dev.mixtral4j.tools.quant.Quantizer.class));
        assertTrue(apiRule.hasViolation(), "an api class using the tools went unnoticed");
    }

    /** A class may depend on the packages of at most one backend: its own. */
    static ArchCondition<JavaClass> dependOnNoOtherBackend() {
        return new ArchCondition<>("depend on no backend other than their own") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                String own = backendOf(c.getPackageName());
                Set<String> bad = new TreeSet<>();
                for (Dependency d : c.getDirectDependenciesFromSelf()) {
                    String target = backendOf(d.getTargetClass().getPackageName());
                    if (target != null && !target.equals(own)) {
                        bad.add(d.getDescription());
                    }
                }
                for (String b : bad) {
                    events.add(SimpleConditionEvent.violated(c, b));
                }
            }
        };
    }
}
