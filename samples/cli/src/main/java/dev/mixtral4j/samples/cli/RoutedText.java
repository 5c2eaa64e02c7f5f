package dev.mixtral4j.samples.cli;

import dev.mixtral4j.routing.RoutingStatistics;
import dev.mixtral4j.routing.RoutingTrace;
import java.util.List;

/**
 * One input file run through the model: the tokens as run (BOS included), the text each token
 * shows, where the router sent them, and the statistics of that.
 *
 * @param file      the file as named on the command line
 * @param texts     per token, the text it adds when decoded (empty for BOS and for a byte that
 *                  only completes a character together with the next token)
 * @param truncated tokens of the file left out because the context is full
 */
record RoutedText(String file, RoutingTrace trace, List<String> texts, RoutingStatistics stats, int truncated) {
}
