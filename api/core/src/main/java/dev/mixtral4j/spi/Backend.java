package dev.mixtral4j.spi;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import java.util.List;
import java.util.Set;

/**
 * A compute engine for the Mixtral forward pass. One backend may load several models, and two
 * backends may hold models in the same JVM at the same time.
 */
public interface Backend {

    String id();

    String description();

    Availability availability();

    /** Devices this backend can place work on. */
    List<DeviceInfo> devices();

    /** Weight tensor types this backend can compute with. */
    Set<GgmlType> supportedTensorTypes();

    /**
     * Whether this backend can run the given model, with the reason when not (an unsupported
     * tensor type, a missing tensor, a layout it does not read). Never throws for a bad file.
     */
    Availability supports(ModelFile model);

    /**
     * Prepares the model for computation. The returned model keeps using {@code model}'s mapping
     * (or a copy the backend made of it), and must be closed before {@code model} is.
     *
     * @throws dev.mixtral4j.gguf.ModelFormatException when the file cannot be run, naming the tensor
     */
    BackendModel load(ModelFile model, LoadOptions options);
}
