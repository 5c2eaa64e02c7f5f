/** An example third-party backend ("scalar"): the forward pass in plain Java on the SPI base classes. */
module dev.mixtral4j.samples.custom {
    requires dev.mixtral4j.api;

    provides dev.mixtral4j.spi.BackendProvider with dev.mixtral4j.samples.custom.ScalarBackendProvider;
}
