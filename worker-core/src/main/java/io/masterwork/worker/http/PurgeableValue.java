package io.masterwork.worker.http;

import io.masterwork.api.Sibling;
import io.masterwork.api.SiblingMessage;
import io.masterwork.api.SiblingMessages;
import io.masterwork.api.WorkerIdentity;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The built-in application's cache demonstration: every worker keeps one cached value ({@code GET
 * /_cache} computes it on first use and then returns the same value), and {@code POST /_cache/purge}
 * on any worker drops it there and, with a {@code "purge"} message broadcast over the inboxes, on every
 * sibling, so the next {@code GET /_cache} on any worker computes a fresh one. {@code /_worker} shows
 * the value and how many purges reached this worker. What a user would do with a real cache behind
 * {@code SO_REUSEPORT}-less shared listeners: invalidate it on all workers at once. Event loop thread only.
 */
final class PurgeableValue {
    private static final Logger log = LoggerFactory.getLogger(PurgeableValue.class);

    static final String PURGE = "purge";
    /** How long the purge request waits for its message to be taken by every sibling's inbox. */
    static final Duration HANDOVER_BOUND = Duration.ofSeconds(1);

    private final SiblingMessages messages;
    private final WorkerIdentity self;
    private final EventLoop loop;
    private String value;
    private long purges;

    PurgeableValue(SiblingMessages messages, WorkerIdentity self, EventLoop loop) {
        this.messages = messages;
        this.self = self;
        this.loop = loop;
    }

    /** The cached value, computed now if there is none. */
    String value() {
        if (value == null) {
            value = "computed at " + Instant.now() + " by pid " + self.pid();
        }
        return value;
    }

    /** {@code "cache":{...}} for {@code /_worker}: the value held (or null) and the purges seen. */
    String json() {
        return "{\"value\":" + (value == null ? "null" : SiblingRequestCounts.jsonString(value))
                + ",\"purges\":" + purges + "}";
    }

    /**
     * Drops the value here and tells every sibling to drop theirs; completes with
     * {@code {"purged":[{"slot":..,"pid":..},..],"failed":[{"slot":..,"pid":..,"error":".."},..]}} once
     * every sibling's inbox took the message or failed, or after {@link #HANDOVER_BOUND} (the rest is
     * listed as failed with "still queued": it is delivered when the sibling reads).
     */
    CompletionStage<String> purgeEverywhere() {
        drop();
        Map<Long, String> purged = new TreeMap<>();
        Map<Long, String> failed = new TreeMap<>();
        purged.put(self.slot(), "{\"slot\":" + self.slot() + ",\"pid\":" + self.pid() + "}");
        Map<Sibling, CompletionStage<Void>> sends = messages.broadcast(PURGE.getBytes(StandardCharsets.US_ASCII));
        CompletableFuture<String> result = new CompletableFuture<>();
        Runnable finish = () -> {
            if (result.isDone()) {
                return;
            }
            sends.forEach((sibling, stage) -> {
                if (!purged.containsKey(sibling.slot()) && !failed.containsKey(sibling.slot())) {
                    failed.put(sibling.slot(), failure(sibling, "still queued after " + HANDOVER_BOUND.toMillis() + " ms"));
                }
            });
            result.complete("{\"purged\":[" + String.join(",", purged.values()) + "],\"failed\":["
                    + String.join(",", failed.values()) + "]}");
        };
        sends.forEach((sibling, stage) -> stage.whenComplete((ok, failure) -> {
            if (result.isDone()) {
                return;
            }
            if (failure == null) {
                purged.put(sibling.slot(), "{\"slot\":" + sibling.slot() + ",\"pid\":" + sibling.pid() + "}");
            } else {
                failed.put(sibling.slot(), failure(sibling, failure.getMessage()));
            }
            if (purged.size() - 1 + failed.size() == sends.size()) {
                finish.run();
            }
        }));
        if (sends.isEmpty()) {
            finish.run();
        }
        if (!result.isDone()) {
            var bound = loop.schedule(finish, HANDOVER_BOUND.toMillis(), TimeUnit.MILLISECONDS);
            result.whenComplete((json, failure) -> bound.cancel(false));
        }
        return result;
    }

    private static String failure(Sibling sibling, String why) {
        return "{\"slot\":" + sibling.slot() + ",\"pid\":" + sibling.pid() + ",\"error\":"
                + SiblingRequestCounts.jsonString(why) + "}";
    }

    /** A message from a sibling: true when it was this class's. */
    boolean handle(SiblingMessage message) {
        if (!PURGE.equals(new String(message.payload(), StandardCharsets.US_ASCII))) {
            return false;
        }
        log.debug("cache purged by sibling slot {} pid {}", message.senderSlot(), message.senderPid());
        drop();
        return true;
    }

    private void drop() {
        value = null;
        purges++;
    }
}
