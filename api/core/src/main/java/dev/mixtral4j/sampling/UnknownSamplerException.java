package dev.mixtral4j.sampling;

/** A sampler name that no provider of the registry answers to; the message lists the known ones. */
public final class UnknownSamplerException extends IllegalArgumentException {
    private final String name;

    UnknownSamplerException(String name, String message) {
        super(message);
        this.name = name;
    }

    /** The name nobody provides. */
    public String name() {
        return name;
    }
}
