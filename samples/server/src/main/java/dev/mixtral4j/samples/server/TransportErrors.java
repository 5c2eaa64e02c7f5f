package dev.mixtral4j.samples.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Refusals Helidon makes itself, before any route runs (a Content-Length over the body limit, a
 * malformed request line or header), answered as OpenAI error objects like every other refusal
 * instead of Helidon's bare status: OpenAI clients read the message from the body.
 */
final class TransportErrors implements DirectHandler {
    private final ObjectMapper json;
    private final ResponseJson responses;
    private final long maxBodyBytes;

    private TransportErrors(ObjectMapper json, ResponseJson responses, long maxBodyBytes) {
        this.json = json;
        this.responses = responses;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** This handler for every kind of event Helidon answers directly. */
    static DirectHandlers handlers(ObjectMapper json, ResponseJson responses, long maxBodyBytes) {
        TransportErrors handler = new TransportErrors(json, responses, maxBodyBytes);
        DirectHandlers.Builder b = DirectHandlers.builder();
        for (EventType type : EventType.values()) {
            b.addHandler(type, handler);
        }
        return b.build();
    }

    /** The error object for a refusal of {@code status}, {@code message} being Helidon's (often null). */
    ApiError error(Status status, String message) {
        int code = status.code();
        if (code == Status.REQUEST_ENTITY_TOO_LARGE_413.code()) {
            return ApiError.tooLarge(maxBodyBytes);
        }
        String text = message == null || message.isBlank() ? status.reasonPhrase() : message;
        return code >= 500 ? new ApiError(code, "server_error", "the server could not handle this request: " + text,
                null, null)
                : new ApiError(code, "invalid_request_error", "the HTTP request was refused: " + text, null, null);
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders responseHeaders, String message) {
        byte[] body;
        try {
            body = json.writeValueAsBytes(responses.error(error(defaultStatus, message)));
        } catch (JacksonException e) {
            return DirectHandler.defaultHandler().handle(request, eventType, defaultStatus, responseHeaders, message);
        }
        return TransportResponse.builder()
                .status(defaultStatus)
                .headers(responseHeaders)
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .entity(body)
                .build();
    }
}
