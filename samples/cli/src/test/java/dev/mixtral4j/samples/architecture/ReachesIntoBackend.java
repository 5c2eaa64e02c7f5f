package dev.mixtral4j.samples.architecture;

/** Test fixture: a class that breaks the module rules on purpose (see ModuleRulesTest). */
final class ReachesIntoBackend {
    int use() {
        return new dev.mixtral4j.backend.fixture.InternalThing().value();
    }
}
