package io.masterwork.api.http;

import io.masterwork.api.ConnectionAdopter;
import io.masterwork.api.ConnectionHandover;
import io.masterwork.api.MovedConnection;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

import static org.assertj.core.api.Assertions.assertThat;

/** The drain's decisions without a pipeline of its own: what an application with its own handlers relies on. */
class HttpDrainTest {

    /** Successors there or not; nothing ever moves. */
    private static final class Successors implements ConnectionHandover {
        boolean available;

        @Override
        public boolean available() {
            return available;
        }

        @Override
        public boolean moveAway(Channel channel, MovedConnection state) {
            return false;
        }

        @Override
        public void onAdopt(ConnectionAdopter adopter) {
        }
    }

    /** Records what the drain asked of the connection's handlers. */
    private static final class RecordingOwner implements HttpConnectionDrain.Owner {
        final List<String> calls = new ArrayList<>();

        @Override
        public boolean holdsNoRequest() {
            return true;
        }

        @Override
        public void endAfterGrace() {
            calls.add("endAfterGrace");
        }

        @Override
        public void moved() {
            calls.add("moved");
        }

        @Override
        public void drainSwitched(boolean successorAvailable) {
            calls.add("drainSwitched " + successorAvailable);
        }
    }

    private final Successors successors = new Successors();
    private final HttpDrain drain = new HttpDrain(successors);

    @Test
    void withoutASuccessorABusyConnectionsNextAnswerIsItsLastAndAnIdleOneEndsAfterTheGrace() {
        RecordingOwner owner = new RecordingOwner();
        HttpConnectionDrain connection = drain.add(new EmbeddedChannel(), new HttpBoundaryDecoder(new HttpDecoderConfig()), 0, owner);
        connection.requestReceived();
        assertThat(connection.keepAlive()).isTrue();
        drain.drain();
        assertThat(connection.keepAlive()).as("Connection: close on the answer under way").isFalse();
        assertThat(owner.calls).as("not idle yet").isEmpty();
        connection.responseWritten();
        connection.idle();
        assertThat(owner.calls).containsExactly("endAfterGrace");
        assertThat(connection.served()).isEqualTo(1);
    }

    @Test
    void aConnectionPastA101DrainsItsOwnersWay() {
        successors.available = true;
        RecordingOwner owner = new RecordingOwner();
        drain.addSwitched(new EmbeddedChannel(), owner);
        CompletionStage<Void> drained = drain.drain();
        assertThat(owner.calls).containsExactly("drainSwitched true");
        assertThat(drained.toCompletableFuture()).isNotDone();
    }

    @Test
    void theDrainCompletesOnceTheLastConnectionHasClosed() {
        RecordingOwner owner = new RecordingOwner();
        HttpConnectionDrain connection = drain.add(new EmbeddedChannel(), new HttpBoundaryDecoder(new HttpDecoderConfig()), 0, owner);
        CompletionStage<Void> drained = drain.drain();
        assertThat(drained.toCompletableFuture()).isNotDone();
        assertThat(drain.size()).isEqualTo(1);
        connection.closed();
        assertThat(drained.toCompletableFuture()).isCompleted();
        assertThat(drain.size()).isZero();
    }

    @Test
    void whileDrainingAMovedConnectionIsAdoptedOnlyToBePassedOnBeforeTheDrainCompletes() {
        assertThat(drain.mayAdopt()).as("not draining").isTrue();
        HttpConnectionDrain connection = drain.add(new EmbeddedChannel(), new HttpBoundaryDecoder(new HttpDecoderConfig()), 0,
                new RecordingOwner());
        connection.requestReceived();
        drain.drain();
        assertThat(drain.mayAdopt()).as("draining, no successor").isFalse();
        successors.available = true;
        assertThat(drain.mayAdopt()).as("draining, a successor to pass it on to").isTrue();
        connection.closed();
        assertThat(drain.mayAdopt()).as("drain completed").isFalse();
    }
}
