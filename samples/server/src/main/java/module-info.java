/**
 * An OpenAI-compatible HTTP server and a web chat over a loaded {@link dev.mixtral4j.Model}.
 * It sees only the api: the tokenizer (chat templates) and the backends are found at run time.
 */
module dev.mixtral4j.samples.server {
    requires dev.mixtral4j.api;
    requires io.helidon.webserver;
    requires io.helidon.webserver.sse;
    requires io.helidon.http.sse;
    requires com.fasterxml.jackson.databind;

    exports dev.mixtral4j.samples.server;
}
