package io.masterwork.api;

import io.netty.channel.EventLoop;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Questions and answers between sibling workers, on top of {@link SiblingMessages}: {@link #ask} sends a
 * question to one sibling and completes with its answer, or fails with a {@link SiblingMessageException}:
 * {@link SiblingMessageException.Reason#NO_ANSWER} past the timeout, {@code SIBLING_GONE} as soon as the
 * sibling is found gone (checked every {@link #GONE_CHECK}: no need to wait for the timeout), or
 * {@code ANSWER_FAILED} when the sibling's answerer failed. Each message carries a correlation id, so
 * answers may come in any order.
 *
 * <p>Every worker that takes part makes one, with the function that answers its siblings' questions, and
 * hands every message its {@link SiblingMessages#onMessage} handler receives to {@link #handle} first (a
 * message that is not this helper's is left to the application). Frame: a marker byte, a kind byte, an
 * 8-byte correlation id, then the payload: at most {@link #MAX_PAYLOAD} bytes. Methods may be called from
 * any thread; the work is done on the event loop, where the stages complete.
 */
public final class SiblingRequests {
    /** How often a pending question checks that its sibling is still there. */
    public static final Duration GONE_CHECK = Duration.ofMillis(100);
    /** The longest question or answer, in bytes: a sibling message less this helper's header. */
    public static final int MAX_PAYLOAD = SiblingMessages.MAX_PAYLOAD - 10;

    private static final byte MARKER = (byte) 0xA5;
    private static final byte QUESTION = 1;
    private static final byte ANSWER = 2;
    private static final byte FAILURE = 3;

    private final SiblingMessages messages;
    private final EventLoop loop;
    private final Function<byte[], CompletionStage<byte[]>> answerer;
    private final Map<Long, Pending> pending = new HashMap<>();
    private long nextId;

    private final class Pending {
        final CompletableFuture<byte[]> answer = new CompletableFuture<>();
        final Sibling sibling;
        final long deadlineNanos;
        ScheduledFuture<?> check;

        Pending(Sibling sibling, long deadlineNanos) {
            this.sibling = sibling;
            this.deadlineNanos = deadlineNanos;
        }
    }

    /**
     * @param messages the worker's {@link ApplicationContext#messages()}
     * @param loop     the worker's {@link ApplicationContext#eventLoop()}
     * @param answerer answers a sibling's question (on the event loop: return a stage, never block)
     */
    public SiblingRequests(SiblingMessages messages, EventLoop loop, Function<byte[], CompletionStage<byte[]>> answerer) {
        this.messages = Objects.requireNonNull(messages, "messages");
        this.loop = Objects.requireNonNull(loop, "loop");
        this.answerer = Objects.requireNonNull(answerer, "answerer");
    }

    /**
     * Asks the sibling in {@code slot}.
     *
     * @param slot     the sibling's slot
     * @param question at most {@link #MAX_PAYLOAD} bytes (copied)
     * @param timeout  how long to wait for the answer
     * @return completes with the answer on the event loop, or fails with a {@link SiblingMessageException}
     * @throws IllegalArgumentException for a question above {@link #MAX_PAYLOAD} bytes or a timeout that is not
     *                                  positive
     */
    public CompletionStage<byte[]> ask(long slot, byte[] question, Duration timeout) {
        if (question.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("a question of " + question.length + " bytes: at most " + MAX_PAYLOAD);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        byte[] copy = question.clone();
        loop.execute(() -> askOnLoop(slot, copy, timeout).whenComplete((bytes, failure) -> {
            if (failure != null) {
                answer.completeExceptionally(failure);
            } else {
                answer.complete(bytes);
            }
        }));
        return answer;
    }

    private CompletionStage<byte[]> askOnLoop(long slot, byte[] question, Duration timeout) {
        Sibling sibling = messages.siblings().stream().filter(s -> s.slot() == slot).findFirst().orElse(null);
        if (sibling == null) {
            return CompletableFuture.failedFuture(new SiblingMessageException(SiblingMessageException.Reason.NO_SUCH_SIBLING,
                    slot, "no sibling in slot " + slot));
        }
        long id = ++nextId;
        Pending asked = new Pending(sibling, System.nanoTime() + timeout.toNanos());
        pending.put(id, asked);
        asked.check = loop.scheduleAtFixedRate(() -> check(id), GONE_CHECK.toNanos(), GONE_CHECK.toNanos(),
                TimeUnit.NANOSECONDS);
        messages.send(slot, frame(QUESTION, id, question)).whenComplete((ok, failure) -> {
            if (failure != null) {
                loop.execute(() -> fail(id, failure instanceof SiblingMessageException e ? e
                        : new SiblingMessageException(SiblingMessageException.Reason.SIBLING_GONE, slot, failure.toString())));
            }
        });
        return asked.answer;
    }

    private void check(long id) {
        Pending question = pending.get(id);
        if (question == null) {
            return;
        }
        long slot = question.sibling.slot();
        if (System.nanoTime() - question.deadlineNanos >= 0) {
            fail(id, new SiblingMessageException(SiblingMessageException.Reason.NO_ANSWER, slot,
                    "no answer from the sibling in slot " + slot + " in time"));
        } else if (!messages.siblings().contains(question.sibling)) {
            fail(id, new SiblingMessageException(SiblingMessageException.Reason.SIBLING_GONE, slot,
                    "the sibling in slot " + slot + " (pid " + question.sibling.pid() + ") has gone"));
        }
    }

    private void fail(long id, SiblingMessageException failure) {
        Pending question = pending.remove(id);
        if (question != null) {
            question.check.cancel(false);
            question.answer.completeExceptionally(failure);
        }
    }

    /**
     * Hands this helper a message the worker's inbox received: true if it was a question (answered) or an
     * answer (delivered), false if it is the application's own. Call on the event loop, from the
     * {@link SiblingMessages#onMessage} handler.
     *
     * @param message a message from the worker's inbox
     * @return whether it was this helper's
     */
    public boolean handle(SiblingMessage message) {
        byte[] payload = message.payload();
        if (payload.length < 10 || payload[0] != MARKER) {
            return false;
        }
        ByteBuffer frame = ByteBuffer.wrap(payload);
        frame.get();
        byte kind = frame.get();
        long id = frame.getLong();
        byte[] body = new byte[frame.remaining()];
        frame.get(body);
        switch (kind) {
            case QUESTION -> answer(message.senderSlot(), id, body);
            case ANSWER, FAILURE -> {
                Pending question = pending.get(id);
                if (question == null || question.sibling.pid() != message.senderPid()) {
                    return true; // late (timed out), or from a worker that took the slot since: nobody waits
                }
                pending.remove(id);
                question.check.cancel(false);
                if (kind == ANSWER) {
                    question.answer.complete(body);
                } else {
                    question.answer.completeExceptionally(new SiblingMessageException(
                            SiblingMessageException.Reason.ANSWER_FAILED, message.senderSlot(),
                            new String(body, StandardCharsets.UTF_8)));
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void answer(long slot, long id, byte[] question) {
        CompletionStage<byte[]> answer;
        try {
            answer = answerer.apply(question);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((bytes, failure) -> {
            byte[] reply;
            if (failure == null && bytes != null && bytes.length <= MAX_PAYLOAD) {
                reply = frame(ANSWER, id, bytes);
            } else {
                String why = failure != null ? failure.toString()
                        : bytes == null ? "no answer (null)" : "an answer of " + bytes.length + " bytes: at most " + MAX_PAYLOAD;
                byte[] text = why.getBytes(StandardCharsets.UTF_8);
                reply = frame(FAILURE, id, java.util.Arrays.copyOf(text, Math.min(text.length, MAX_PAYLOAD)));
            }
            // The asker may have gone meanwhile: its failure is the asker's timeout or SIBLING_GONE, not ours.
            messages.send(slot, reply);
        });
    }

    private static byte[] frame(byte kind, long id, byte[] body) {
        return ByteBuffer.allocate(10 + body.length).put(MARKER).put(kind).putLong(id).put(body).array();
    }
}
