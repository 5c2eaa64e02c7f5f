package dev.mixtral4j.samples.server;

import io.helidon.http.HeaderNames;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A request body read up to the server's limit. A body over the limit is still read to its end
 * (and thrown away) before the 413 goes out, up to {@link #drainLimit}: a client that is still
 * writing its body when the server closes the connection gets a broken pipe, and the answer
 * it never reads, instead of the error object (the JDK's client and OkHttp both do). Only a
 * body past the drain limit is refused without reading, by Helidon (its payload limit is the
 * drain limit), answered by {@link TransportErrors} on a connection it then closes.
 */
final class RequestBody {
    private RequestBody() {
    }

    /** Helidon's payload limit for a server accepting {@code limit}: twice as much, at least 16 MiB more. */
    static long drainLimit(long limit) {
        long extra = Math.max(limit, 16L << 20);
        return limit > Long.MAX_VALUE - extra ? Long.MAX_VALUE : limit + extra;
    }

    /**
     * The body of {@code req} (empty when it has none).
     *
     * @throws ApiError 413 naming {@code limit} when it is larger
     */
    static byte[] read(ServerRequest req, long limit) {
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > limit && req.headers().contains(HeaderNames.EXPECT)) {
            // "Expect: 100-continue": the client waits for a go-ahead before sending; refuse unread
            throw ApiError.tooLarge(limit);
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
                throw ApiError.tooLarge(limit);
            }
            return body;
        } catch (RequestException e) {
            // past the drain limit (a chunked body: Helidon counts as it reads)
            if (e.status().code() == Status.REQUEST_ENTITY_TOO_LARGE_413.code()) {
                throw ApiError.tooLarge(limit);
            }
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException("the request body could not be read", e);
        }
    }
}
