/**
 * The backend conformance kit (JUnit 5 tests a backend's test class extends) and the
 * double-precision reference forward pass it compares against. A test library.
 */
module dev.mixtral4j.testkit {
    requires transitive dev.mixtral4j.api;
    requires transitive dev.mixtral4j.tools;
    requires transitive org.junit.jupiter.api;

    exports dev.mixtral4j.testkit;
}
