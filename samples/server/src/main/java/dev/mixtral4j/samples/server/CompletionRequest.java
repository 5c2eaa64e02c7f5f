package dev.mixtral4j.samples.server;

import dev.mixtral4j.Message;
import dev.mixtral4j.generation.GenerationOptions;
import java.util.List;

/**
 * A parsed and checked {@code /v1/chat/completions} or {@code /v1/completions} request.
 *
 * @param kind         which endpoint
 * @param model        the model the client named, or null
 * @param messages     the conversation (chat), else null
 * @param prompt       the text prompt (completions), else null
 * @param promptTokens the prompt as token ids (completions given ids), else null
 * @param stream       answer with server-sent events
 * @param includeUsage streamed: end with a chunk that carries the usage
 * @param options      sampler, limits and stop strings
 * @param routing      the {@code mixtral4j_routing} extension: answer with the routing of the
 *                     tokens this request computed (docs/routing.md)
 */
record CompletionRequest(Kind kind, String model, List<Message> messages, String prompt, int[] promptTokens,
                         boolean stream, boolean includeUsage, GenerationOptions options, boolean routing) {

    enum Kind { CHAT, TEXT }
}
