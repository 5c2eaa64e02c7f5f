/** The Mixtral forward pass on NVIDIA GPUs through the CUDA driver API and java.lang.foreign. */
module dev.mixtral4j.backend.cuda {
    requires dev.mixtral4j.api;

    exports dev.mixtral4j.backend.cuda;

    provides dev.mixtral4j.spi.BackendProvider with dev.mixtral4j.backend.cuda.CudaBackendProvider;
}
