package dev.mixtral4j.samples.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.mixtral4j.Message;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.CancelHandle;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * What both LangChain4j models share: the loaded model, the default parameters, and a few
 * sessions (KV caches) reused between requests. Each request takes the session that served the
 * previous one when it is free, so a conversation kept in a chat memory only computes its new
 * messages: the history is already in that session's cache. At most {@code sessions} requests
 * run at once; more wait for a session.
 */
final class ChatEngine implements AutoCloseable {
    private final Model model;
    private final ChatRequestParameters defaults;
    private final int penaltyLastN;
    private final Semaphore permits;
    private final Deque<Session> idle = new ArrayDeque<>();
    private boolean closed;

    ChatEngine(Model model, ChatRequestParameters defaults, int sessions, int penaltyLastN) {
        if (model == null) {
            throw new IllegalArgumentException("model must not be null: load one with Mixtral4j.load");
        }
        if (sessions < 1) {
            throw new IllegalArgumentException("sessions must be at least 1: " + sessions);
        }
        if (penaltyLastN < 0) {
            throw new IllegalArgumentException("penaltyLastN must not be negative: " + penaltyLastN);
        }
        this.model = model;
        this.defaults = defaults;
        this.penaltyLastN = penaltyLastN;
        this.permits = new Semaphore(sessions, true);
        model.tokenizer(); // fail now, with the reasons, when no tokenizer (hence no chat template) reads the file
    }

    Model model() {
        return model;
    }

    ChatRequestParameters defaults() {
        return defaults;
    }

    String modelName() {
        return defaults.modelName() != null ? defaults.modelName() : model.path().getFileName().toString();
    }

    /**
     * Generates the reply to {@code request}, passing each piece of text to {@code partial} as it
     * becomes final.
     */
    ChatResponse chat(ChatRequest request, Consumer<String> partial, CancelHandle cancel) {
        List<Message> messages = ChatRequestMapping.messages(request.messages());
        GenerationOptions options = ChatRequestMapping.options(request, penaltyLastN, cancel);
        Session session = acquire();
        GenerationResult r;
        try {
            r = session.chat(messages, options, t -> {
                if (!t.text().isEmpty()) {
                    partial.accept(t.text());
                }
            });
        } finally {
            release(session);
        }
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(r.text()))
                .id("mixtral4j-" + UUID.randomUUID())
                .modelName(modelName())
                .tokenUsage(ChatRequestMapping.tokenUsage(r.stats()))
                .finishReason(ChatRequestMapping.finishReason(r.stopReason()))
                .build();
    }

    private Session acquire() {
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a free session", e);
        }
        synchronized (this) {
            if (closed) {
                permits.release();
                throw new IllegalStateException("this chat model is closed");
            }
            Session s = idle.pollFirst();
            if (s != null) {
                return s;
            }
        }
        try {
            return model.newSession();
        } catch (RuntimeException | Error e) {
            permits.release();
            throw e;
        }
    }

    private void release(Session s) {
        synchronized (this) {
            if (closed) {
                s.close();
            } else {
                idle.addFirst(s); // most recently used first: it holds the conversation that may continue
            }
        }
        permits.release();
    }

    /** Frees the sessions' KV caches; the model stays open (it belongs to the caller). */
    @Override
    public synchronized void close() {
        closed = true;
        for (Session s : idle) {
            s.close();
        }
        idle.clear();
    }
}
