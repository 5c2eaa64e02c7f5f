package dev.mixtral4j.samples.server;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import java.nio.file.Path;

/**
 * The server of a load run, in its own JVM so that its resident memory is its own: loads the
 * model, serves it, prints {@code PORT <n>}, and stops when its standard input closes.
 *
 * <p>Arguments: model file, backend id, parallel slots, context length.
 */
public final class LoadServerMain {
    private LoadServerMain() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        try (Model m = Mixtral4j.load(model, LoadOptions.builder().backend(args[1])
                .contextLength(Integer.parseInt(args[3])).build());
             OpenAiServer server = OpenAiServer.start(m, ServerOptions.defaults()
                     .withParallel(Integer.parseInt(args[2])).withQueue(64))) {
            System.out.println("PORT " + server.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the driver to close our input
            }
        }
    }
}
