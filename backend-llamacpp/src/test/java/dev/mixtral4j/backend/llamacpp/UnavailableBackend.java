package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendUnavailableException;
import dev.mixtral4j.spi.DeviceInfo;
import java.util.List;
import java.util.Set;

/** Stands in for the backend where llama.cpp cannot load, so that kit tests skip with the reason. */
final class UnavailableBackend implements Backend {
    private final BackendProvider provider;

    UnavailableBackend(BackendProvider provider) {
        this.provider = provider;
    }

    @Override
    public BackendProvider provider() {
        return provider;
    }

    @Override
    public List<DeviceInfo> devices() {
        return List.of();
    }

    @Override
    public Set<GgmlType> supportedTensorTypes() {
        return Set.of();
    }

    @Override
    public Availability supports(ModelFile model) {
        return availability();
    }

    @Override
    public BackendModel load(ModelFile model, BackendOptions options) {
        throw new BackendUnavailableException(availability().reason());
    }
}
