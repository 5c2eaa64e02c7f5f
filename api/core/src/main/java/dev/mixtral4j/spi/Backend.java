package dev.mixtral4j.spi;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import java.util.List;
import java.util.Set;

/**
 * A compute engine for the Mixtral forward pass. One backend may load several models, and two
 * backends may hold models in the same JVM at the same time. Its identity (id, description,
 * rank) is its {@link #provider() provider's}: it is declared once, there.
 */
public interface Backend {

    /** The provider that made this backend. */
    BackendProvider provider();

    /** The provider's id. */
    default String id() {
        return provider().id();
    }

    /** The provider's description. */
    default String description() {
        return provider().description();
    }

    /** Whether this backend can run here (the provider's answer unless the backend knows more). */
    default Availability availability() {
        return provider().availability();
    }

    /** Devices this backend can place work on. */
    List<DeviceInfo> devices();

    /** Weight tensor types this backend can compute with. */
    Set<GgmlType> supportedTensorTypes();

    /**
     * Whether this backend can run the given model, with the reason when not (an unsupported
     * tensor type, a missing tensor, a layout it does not read). For listings such as the CLI's
     * {@code info}: cheap (metadata and tensor table only, nothing built or loaded), never throws
     * for a bad file. Loading does not call it: {@link #load} refuses on its own.
     */
    Availability supports(ModelFile model);

    /**
     * Whether this backend's sessions report routing traces ({@link
     * BackendSession#routingListener}) for mixture-of-experts models. False by default; a backend
     * that says true is checked against the reference by the conformance kit.
     */
    default boolean supportsRoutingTraces() {
        return false;
    }

    /**
     * Prepares the model for computation. The returned model keeps using {@code model}'s mapping
     * (or a copy the backend made of it), and must be closed before {@code model} is. This is the
     * one negotiation of a load: a file the backend cannot run is refused here, before anything
     * native sees it.
     *
     * @throws dev.mixtral4j.gguf.ModelFormatException when the file cannot be run on this backend,
     *         naming the tensor or key at fault (the facade then tries the next backend for "auto")
     */
    BackendModel load(ModelFile model, BackendOptions options);
}
