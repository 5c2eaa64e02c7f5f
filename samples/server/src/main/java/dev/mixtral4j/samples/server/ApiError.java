package dev.mixtral4j.samples.server;

/**
 * A request the server refuses, answered as an OpenAI error object
 * ({@code {"error": {"message", "type", "param", "code"}}}) with its HTTP status.
 */
final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    ApiError(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    static ApiError invalid(String message, String param) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    static ApiError invalid(String message, String param, String code) {
        return new ApiError(400, "invalid_request_error", message, param, code);
    }

    static ApiError notFound(String message, String param, String code) {
        return new ApiError(404, "invalid_request_error", message, param, code);
    }

    /** 413: the request body is over the server's limit of {@code limitBytes}. */
    static ApiError tooLarge(long limitBytes) {
        return new ApiError(413, "invalid_request_error", "the request body is larger than this server accepts: "
                + size(limitBytes) + "; send a smaller request", null, "request_too_large");
    }

    /** "8 MiB (8388608 bytes)": the limit as a person sets it, and exactly. */
    static String size(long bytes) {
        String unit = bytes % (1L << 20) == 0 ? (bytes >> 20) + " MiB"
                : bytes % 1024 == 0 ? (bytes >> 10) + " KiB" : null;
        return unit == null ? bytes + " bytes" : unit + " (" + bytes + " bytes)";
    }

    static ApiError busy(String message) {
        return new ApiError(503, "server_error", message, null, "server_busy");
    }

    static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, null);
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String param() {
        return param;
    }

    String code() {
        return code;
    }
}
