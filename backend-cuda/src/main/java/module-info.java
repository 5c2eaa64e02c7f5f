/** The Mixtral forward pass on NVIDIA GPUs through the CUDA driver API and java.lang.foreign. */
module dev.mixtral4j.backend.cuda {
    requires dev.mixtral4j.api;
}
