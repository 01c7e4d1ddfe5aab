package io.masterwork.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two workers' helpers wired through fake inboxes on a real event loop. */
class SiblingRequestsTest {
    private final EventLoop loop = new DefaultEventLoop();
    private final Map<Long, SiblingRequests> workers = new ConcurrentHashMap<>();

    /** Slot {@code self}'s view of the inboxes: a send is delivered to the other helper on the loop. */
    private final class Inboxes implements SiblingMessages {
        final long self;
        final List<Sibling> siblings = new CopyOnWriteArrayList<>();

        Inboxes(long self, Sibling... siblings) {
            this.self = self;
            this.siblings.addAll(List.of(siblings));
        }

        @Override public List<Sibling> siblings() { return List.copyOf(siblings); }

        @Override
        public CompletionStage<Void> send(long slot, byte[] payload) {
            SiblingRequests peer = workers.get(slot);
            byte[] copy = payload.clone();
            loop.execute(() -> peer.handle(new SiblingMessage(self, (int) (100 + self), copy)));
            return CompletableFuture.completedFuture(null);
        }

        @Override public Map<Sibling, CompletionStage<Void>> broadcast(byte[] payload) { throw new UnsupportedOperationException(); }
        @Override public void onMessage(Consumer<SiblingMessage> handler) { }
    }

    private final Inboxes zeroSees = new Inboxes(0, new Sibling(1, 101));
    private final Inboxes oneSees = new Inboxes(1, new Sibling(0, 100));

    private SiblingRequests worker(long slot, Inboxes inboxes, java.util.function.Function<byte[], CompletionStage<byte[]>> answerer) {
        SiblingRequests requests = new SiblingRequests(inboxes, loop, answerer);
        workers.put(slot, requests);
        return requests;
    }

    @AfterEach
    void stop() throws Exception {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Throwable failureOf(CompletionStage<byte[]> stage) {
        try {
            stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
            throw new AssertionError("completed normally");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aQuestionGetsItsAnswer() throws Exception {
        SiblingRequests zero = worker(0, zeroSees, q -> CompletableFuture.completedFuture(bytes("zero")));
        worker(1, oneSees, q -> CompletableFuture.completedFuture(bytes("echo " + new String(q, StandardCharsets.UTF_8))));
        byte[] answer = zero.ask(1, bytes("hi"), Duration.ofSeconds(10)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("echo hi");
    }

    @Test
    void aFailedAnswererIsAnAnswerFailedFailure() {
        SiblingRequests zero = worker(0, zeroSees, q -> CompletableFuture.completedFuture(bytes("zero")));
        worker(1, oneSees, q -> {
            throw new IllegalStateException("no such key");
        });
        Throwable failure = failureOf(zero.ask(1, bytes("hi"), Duration.ofSeconds(10)));
        assertThat(failure).isInstanceOf(SiblingMessageException.class).hasMessageContaining("no such key");
        assertThat(((SiblingMessageException) failure).reason()).isEqualTo(SiblingMessageException.Reason.ANSWER_FAILED);
    }

    @Test
    void noAnswerInTimeIsANoAnswerFailure() {
        SiblingRequests zero = worker(0, zeroSees, q -> CompletableFuture.completedFuture(bytes("zero")));
        worker(1, oneSees, q -> new CompletableFuture<>());
        Throwable failure = failureOf(zero.ask(1, bytes("hi"), Duration.ofMillis(300)));
        assertThat(((SiblingMessageException) failure).reason()).isEqualTo(SiblingMessageException.Reason.NO_ANSWER);
    }

    @Test
    void aSiblingThatGoesFailsTheQuestionBeforeTheTimeout() {
        SiblingRequests zero = worker(0, zeroSees, q -> CompletableFuture.completedFuture(bytes("zero")));
        java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
        worker(1, oneSees, q -> {
            asked.countDown();
            return new CompletableFuture<>();
        });
        long start = System.nanoTime();
        CompletionStage<byte[]> answer = zero.ask(1, bytes("hi"), Duration.ofSeconds(60));
        try {
            assertThat(asked.await(10, TimeUnit.SECONDS)).as("the sibling got the question").isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        zeroSees.siblings.clear(); // the sibling went, its answer never comes
        Throwable failure = failureOf(answer);
        assertThat(((SiblingMessageException) failure).reason()).isEqualTo(SiblingMessageException.Reason.SIBLING_GONE);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void anUnknownSlotAndABadQuestionAreRefused() {
        SiblingRequests zero = worker(0, zeroSees, q -> CompletableFuture.completedFuture(bytes("zero")));
        assertThat(((SiblingMessageException) failureOf(zero.ask(7, bytes("hi"), Duration.ofSeconds(1)))).reason())
                .isEqualTo(SiblingMessageException.Reason.NO_SUCH_SIBLING);
        assertThatThrownBy(() -> zero.ask(1, new byte[SiblingRequests.MAX_PAYLOAD + 1], Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most");
        assertThatThrownBy(() -> zero.ask(1, bytes("hi"), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theApplicationsOwnMessagesAreLeftToIt() {
        SiblingRequests zero = worker(0, zeroSees, q -> CompletableFuture.completedFuture(bytes("zero")));
        assertThat(zero.handle(new SiblingMessage(1, 101, bytes("purge")))).isFalse();
    }
}
