package io.masterwork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.channel.Promotion;
import io.masterwork.posix.WaitStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A spare whose promotion cannot go on (a malformed PROMOTE, a configuration that does not parse) obeys nothing
 * and does not stay behind as a spare: the master has already moved it into the slot and waits for its READY, so it
 * says why (INIT_FAILED) and exits 1, and the slot gets a fresh worker.
 */
class SparePromotionFailureIT extends WorkerProcessTest {

    @Test
    void aMalformedPromoteIsNotObeyedTheSpareSaysWhyAndExits() {
        startSpare();
        int config = MasterStandIn.POSIX.memfd("masterwork-config", spareJson().getBytes(StandardCharsets.UTF_8));
        try {
            master.send(new ChannelFrame(Command.PROMOTE, MasterStandIn.POSIX.getpid(), 0, config, new byte[] {1, 2, 3}));
        } finally {
            MasterStandIn.POSIX.close(config);
        }
        assertFailedWith("a malformed PROMOTE: BAD_FIELD: PROMOTE: payload of 3 bytes, at least 12 expected");
        assertThat(master.errorLogText()).doesNotContain("worker ready: slot");
    }

    @Test
    void aPromoteWhoseConfigurationDoesNotParseEndsTheSpareWithTheReason() {
        startSpare();
        int config = MasterStandIn.POSIX.memfd("masterwork-config", "{\"http\": [".getBytes(StandardCharsets.UTF_8));
        try {
            master.send(ChannelFrame.promote(MasterStandIn.POSIX.getpid(), 0, config, new Promotion(2, new BitSet())));
        } finally {
            MasterStandIn.POSIX.close(config);
        }
        assertFailedWith("cannot take the configuration of PROMOTE");
    }

    private String spareJson() {
        return master.defaultJson("\"access_log\":\"off\"");
    }

    private void startSpare() {
        master = MasterStandIn.create(dir);
        master.spawn(spareJson(), System.getProperty("java.class.path"), List.of("--spare=0", "--generation=1",
                "--master-pid=" + MasterStandIn.POSIX.getpid(), "--listeners=1"), 1);
        ChannelFrame ready = master.awaitReady(WorkerLifecycleIT.START);
        assertThat(new String(ready.payload(), StandardCharsets.UTF_8)).isEqualTo("spare");
    }

    private void assertFailedWith(String reason) {
        ChannelFrame frame = master.receive(Duration.ofSeconds(30));
        assertThat(frame).as("INIT_FAILED, not silence\n%s", master.errorLogText()).isNotNull();
        assertThat(frame.command()).isEqualTo(Command.INIT_FAILED);
        assertThat(new String(frame.payload(), StandardCharsets.UTF_8)).contains(reason);
        WaitStatus status = master.awaitExit(Duration.ofSeconds(30));
        assertThat(status).as("the spare exited\n%s", master.errorLogText()).isNotNull();
        assertThat(status.exited()).isTrue();
        assertThat(status.exitCode()).isEqualTo(1);
    }
}
