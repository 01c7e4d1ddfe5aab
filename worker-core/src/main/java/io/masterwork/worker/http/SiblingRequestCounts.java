package io.masterwork.worker.http;

import io.masterwork.api.Sibling;
import io.masterwork.api.SiblingMessage;
import io.masterwork.api.SiblingMessages;
import io.masterwork.api.WorkerIdentity;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The built-in application's use of sibling messages: {@code GET /_siblings/requests} asks every
 * sibling over its inbox how many requests it has served and answers with every worker's count, a
 * view of the whole server no single worker has. The protocol is two ASCII messages,
 * {@code "requests? <query id>"} and the answer {@code "requests= <query id> <count>"}, sent back to
 * the asking worker's slot. A sibling that cannot be written to, or does not answer within
 * {@link #ANSWER_BOUND}, is listed with an {@code error} instead of a count. Event loop thread only.
 */
final class SiblingRequestCounts {
    private static final Logger log = LoggerFactory.getLogger(SiblingRequestCounts.class);

    static final Duration ANSWER_BOUND = Duration.ofSeconds(1);
    static final String ASK = "requests? ";
    static final String ANSWER = "requests= ";

    private final SiblingMessages messages;
    private final WorkerIdentity self;
    private final EventLoop loop;
    private final LongSupplier ownRequests;
    private final Map<Long, Query> queries = new HashMap<>();
    private long lastQueryId;

    SiblingRequestCounts(SiblingMessages messages, WorkerIdentity self, EventLoop loop, LongSupplier ownRequests) {
        this.messages = messages;
        this.self = self;
        this.loop = loop;
        this.ownRequests = ownRequests;
    }


    /** Asks every sibling; completes with the JSON {@code {"workers":[{"slot":..,"pid":..,"requests":..},..]}}. */
    CompletionStage<String> query() {
        Query query = new Query(++lastQueryId);
        query.entries.put(self.slot(), entry(self.slot(), self.pid(), "\"requests\":" + ownRequests.getAsLong()));
        queries.put(query.id, query);
        Map<Sibling, CompletionStage<Void>> asked = messages.broadcast((ASK + query.id).getBytes(StandardCharsets.US_ASCII));
        asked.keySet().forEach(s -> query.waiting.put(s.slot(), s.pid()));
        asked.forEach((sibling, sent) -> sent.whenComplete((ok, failure) -> {
            if (failure != null) {
                query.failed(sibling.slot(), failure.getMessage());
            }
        }));
        if (!query.done()) {
            query.timeout = loop.schedule(query::timedOut, ANSWER_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        }
        return query.result;
    }

    /** A message from a sibling: true when it was this class's (a question or an answer). */
    boolean handle(SiblingMessage message) {
        String text = new String(message.payload(), StandardCharsets.US_ASCII);
        try {
            if (text.startsWith(ASK)) {
                long id = Long.parseLong(text.substring(ASK.length()));
                byte[] answer = (ANSWER + id + " " + ownRequests.getAsLong()).getBytes(StandardCharsets.US_ASCII);
                messages.send(message.senderSlot(), answer).whenComplete((ok, failure) -> {
                    if (failure != null) {
                        log.info("cannot answer sibling slot {} pid {}: {}", message.senderSlot(), message.senderPid(),
                                failure.getMessage());
                    }
                });
                return true;
            }
            if (text.startsWith(ANSWER)) {
                String[] parts = text.substring(ANSWER.length()).split(" ");
                Query query = queries.get(Long.parseLong(parts[0]));
                if (query != null) {
                    query.answered(message.senderSlot(), message.senderPid(), Long.parseLong(parts[1]));
                }
                return true;
            }
        } catch (RuntimeException e) {
            log.warn("ignored a malformed {} from sibling slot {} pid {}", text.substring(0, ASK.length()),
                    message.senderSlot(), message.senderPid());
            return true;
        }
        return false;
    }

    private static String entry(long slot, int pid, String rest) {
        return "{\"slot\":" + slot + ",\"pid\":" + pid + "," + rest + "}";
    }

    static String jsonString(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** One {@code /_siblings/requests}: who has answered, who is still awaited. */
    private final class Query {
        final long id;
        final Map<Long, String> entries = new TreeMap<>();
        final Map<Long, Integer> waiting = new TreeMap<>();
        final CompletableFuture<String> result = new CompletableFuture<>();
        ScheduledFuture<?> timeout;

        Query(long id) {
            this.id = id;
        }

        void answered(long slot, int pid, long requests) {
            if (waiting.remove(slot) != null) {
                entries.put(slot, entry(slot, pid, "\"requests\":" + requests));
                done();
            }
        }

        void failed(long slot, String why) {
            Integer pid = waiting.remove(slot);
            if (pid != null) {
                entries.put(slot, entry(slot, pid, "\"error\":" + jsonString(why)));
                done();
            }
        }

        void timedOut() {
            for (Map.Entry<Long, Integer> w : waiting.entrySet()) {
                entries.put(w.getKey(), entry(w.getKey(), w.getValue(),
                        "\"error\":\"no answer within " + ANSWER_BOUND.toMillis() + " ms\""));
            }
            waiting.clear();
            done();
        }

        boolean done() {
            if (!waiting.isEmpty()) {
                return false;
            }
            if (result.isDone()) {
                return true;
            }
            queries.remove(id);
            if (timeout != null) {
                timeout.cancel(false);
            }
            result.complete("{\"workers\":[" + String.join(",", entries.values()) + "]}");
            return true;
        }
    }
}
