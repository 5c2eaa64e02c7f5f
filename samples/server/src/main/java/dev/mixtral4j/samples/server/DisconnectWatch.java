package dev.mixtral4j.samples.server;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http1.Http1ConnectionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices that the client of a non-streamed request has closed its connection while its answer
 * is being generated, so that the generation stops at once instead of running to the end for
 * nobody. (A streamed request notices by itself: writing the next event fails.)
 *
 * <p>Helidon SE 4 tells a handler nothing of its connection (there is no "is the client still
 * there" on the request; {@code HelidonSocket.idle()}, its monitor for idle client connections,
 * gives up after one 101 ms read when the socket has no read timeout, which server sockets do
 * not have, and then reports the connection as closed). So, once the request body has been read,
 * a virtual thread reads the connection the way Helidon would read the next request: through
 * the connection's own {@link DataReader}, which keeps whatever arrives for Helidon. End of
 * stream there means the client closed: {@code onGone} runs. Data means a pipelined next request:
 * the client is still there and the watch ends, the bytes stay queued for Helidon.
 *
 * <p>The watch must end before the handler returns, because Helidon then reads the connection
 * itself and the reader is not shared between threads. A blocked socket read ends only with its
 * socket (interrupting a thread in a channel read closes the channel), so a watched request
 * answers with {@code Connection: close} and the connection is closed once the answer is
 * written: the client's next request opens a new connection.
 *
 * <p>The connection reaches the handler through {@link #tracker()}, a receive listener Helidon
 * calls with the connection on the thread that then runs the request's handler.
 */
final class DisconnectWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DisconnectWatch.class);
    private static final ThreadLocal<ConnectionContext> CONNECTION = new ThreadLocal<>();
    private static final Tracker TRACKER = new Tracker();

    private final Thread reader;
    private volatile boolean gone;
    private volatile boolean stopping;

    private DisconnectWatch(DataReader connection, String socketId, Runnable onGone) {
        this.reader = Thread.ofVirtual().name("mixtral4j-disconnect-watch-" + socketId).unstarted(() -> {
            try {
                connection.pullData();
                LOG.debug("client of {} sent more data while its answer was generated (pipelining)", socketId);
            } catch (DataReader.InsufficientDataAvailableException eof) {
                if (!stopping) {
                    gone = true;
                    onGone.run();
                }
            } catch (RuntimeException e) { // NOPMD: a reset or our own interrupt; either way the watch is over
                if (!stopping) {
                    gone = true;
                    LOG.debug("connection {} failed while its answer was generated: {}", socketId, e.toString());
                    onGone.run();
                }
            }
        });
    }

    /** The receive listener to register on the server's HTTP/1 protocol (see the class comment). */
    static Http1ConnectionListener tracker() {
        return TRACKER;
    }

    /**
     * Starts watching the connection of {@code req}, whose body must have been read; empty when
     * the connection is not known (then nothing is watched and the request answers as usual).
     */
    static java.util.Optional<DisconnectWatch> start(ServerRequest req, Runnable onGone) {
        ConnectionContext ctx = CONNECTION.get();
        if (ctx == null || !req.socketId().equals(ctx.childSocketId())) {
            return java.util.Optional.empty();
        }
        DisconnectWatch w = new DisconnectWatch(ctx.dataReader(), req.socketId(), onGone);
        w.reader.start();
        return java.util.Optional.of(w);
    }

    /** Whether the client has closed its connection. */
    boolean clientGone() {
        return gone;
    }

    /**
     * Ends the watch and waits for its thread: after this, the handler's thread alone uses the
     * connection again. Call it after the answer is written: when the watch is still reading, this
     * closes the connection.
     */
    @Override
    public void close() {
        stopping = true;
        reader.interrupt();
        try {
            if (!reader.join(java.time.Duration.ofSeconds(10))) {
                LOG.warn("the disconnect watch of {} did not end within 10 s", reader.getName());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Remembers, on the thread that will run the handler, which connection a request came on. */
    private static final class Tracker implements Http1ConnectionListener {
        @Override
        public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
            CONNECTION.set(ctx);
        }
    }
}
