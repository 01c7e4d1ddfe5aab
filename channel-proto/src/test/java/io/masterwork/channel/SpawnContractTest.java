package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The contract both sides read: what the master writes on a worker's command line and what a spare's READY says. */
class SpawnContractTest {

    @Test
    void aWorkerIsToldItsSlotASpareItsNumber() {
        assertThat(SpawnContract.workerArguments(false, 3, 7, 4242, 2))
                .containsExactly("--slot=3", "--generation=7", "--master-pid=4242", "--listeners=2");
        assertThat(SpawnContract.workerArguments(true, 0, 7, 4242, 1))
                .containsExactly("--spare=0", "--generation=7", "--master-pid=4242", "--listeners=1");
    }

    @Test
    void aSparesReadyIsTellableFromAWorkersOnTheWire() throws FrameException {
        ChannelFrame spare = SpawnContract.spareReady(4242, 1);
        ByteBuffer wire = FrameCodec.encode(spare);
        ChannelFrame received = FrameCodec.decode(wire, -1);
        assertThat(SpawnContract.isSpareReady(received)).isTrue();
        assertThat(received.command()).isEqualTo(Command.READY);
        assertThat(SpawnContract.isSpareReady(ChannelFrame.ready(4242, 1))).isFalse();
        assertThat(SpawnContract.isSpareReady(ChannelFrame.heartbeat(4242, 1))).isFalse();
    }
}
