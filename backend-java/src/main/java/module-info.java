/** The Mixtral forward pass in pure Java with the Vector API. */
module dev.mixtral4j.backend.java {
    requires dev.mixtral4j.api;
    requires jdk.incubator.vector;

    provides dev.mixtral4j.spi.BackendProvider with dev.mixtral4j.backend.java.JavaBackendProvider;
}
