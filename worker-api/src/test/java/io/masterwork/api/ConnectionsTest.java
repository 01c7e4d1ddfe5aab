package io.masterwork.api;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class ConnectionsTest {
    @Test
    void drainCompletesWhenTheLastTrackedConnectionCloses() {
        Connections connections = new Connections();
        EmbeddedChannel a = new EmbeddedChannel();
        EmbeddedChannel b = new EmbeddedChannel();
        connections.track(a);
        connections.track(b);
        CompletableFuture<Void> drained = connections.drain().toCompletableFuture();
        assertThat(drained).isNotDone();
        a.close();
        assertThat(drained).isNotDone();
        assertThat(connections.size()).isEqualTo(1);
        b.close();
        assertThat(drained).isCompleted();
    }

    @Test
    void drainWithNothingOpenIsDoneAtOnceAndCloseAllClosesEverything() {
        assertThat(new Connections().drain().toCompletableFuture()).isCompleted();
        Connections connections = new Connections();
        EmbeddedChannel a = new EmbeddedChannel();
        connections.track(a);
        connections.closeAll();
        assertThat(a.isOpen()).isFalse();
        assertThat(connections.size()).isZero();
    }
}
