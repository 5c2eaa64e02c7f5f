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
