package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.masterwork.channel.Channel;
import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.process.SlotState.Exiting;
import io.masterwork.master.process.SlotState.Hung;
import io.masterwork.master.process.SlotState.Ready;
import io.masterwork.master.process.SlotState.Starting;
import io.masterwork.master.process.SlotState.Vacant;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A slot's life as one state: only the named transitions, each from the states it applies to. */
class WorkerSlotTest {
    private static final Posix POSIX = NativePosix.get();

    @TempDir
    Path prefix;
    private WorkerGeneration generation;
    private Channel channel;
    private Worker worker;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), "listen = \"127.0.0.1:8080\"\n");
        generation = new WorkerGeneration(1, ConfigLoader.load(Path.of("conf/masterwork.conf"), prefix), null, List.of(7));
        int[] pair = POSIX.socketpair(SocketType.SEQPACKET);
        channel = new Channel(POSIX, pair[0]);
        POSIX.closeQuietly(pair[1]);
        worker = new Worker(4242, channel, -1, 100);
    }

    @AfterEach
    void tearDown() {
        channel.close();
    }

    @Test
    void aWorkersLifeFromSpawnToReadyToHungAndBack() {
        WorkerSlot slot = new WorkerSlot(3, generation, 50);
        assertThat(slot.current()).isEqualTo(new Vacant(50));
        assertThat(slot.hasProcess()).isFalse();
        assertThat(slot.state()).isEqualTo(WorkerState.RESPAWNING);
        assertThat(slot.pid()).isEqualTo(-1);

        slot.occupy(worker);
        assertThat(slot.current()).isEqualTo(new Starting(worker));
        assertThat(slot.pid()).isEqualTo(4242);
        assertThat(slot.state()).isEqualTo(WorkerState.STARTING);
        assertThat(slot.heartbeat(150)).as("a heartbeat before READY changes nothing").isFalse();

        assertThat(slot.ready(200)).isTrue();
        assertThat(slot.ready(250)).as("READY twice").isFalse();
        assertThat(slot.current()).isEqualTo(new Ready(worker, 200, 200));
        assertThat(slot.readyAtNanos()).isEqualTo(200);
        slot.heartbeat(300);
        assertThat(slot.current()).isEqualTo(new Ready(worker, 200, 300));

        slot.hung(400);
        assertThat(slot.current()).isEqualTo(new Hung(worker, 200, 300, 400));
        assertThat(slot.state()).as("a hung worker still counts as ready").isEqualTo(WorkerState.READY);
        assertThat(slot.heartbeat(450)).as("it answers again").isTrue();
        assertThat(slot.current()).isEqualTo(new Ready(worker, 200, 450));

        slot.vacate(600);
        assertThat(slot.current()).isEqualTo(new Vacant(600));
        assertThat(slot.readyAtNanos()).isZero();
    }

    @Test
    void toldToExitItIsNeverVacatedAndAHungOneKeepsItsKillTime() {
        WorkerSlot slot = new WorkerSlot(0, generation, 0);
        slot.occupy(worker);
        slot.ready(10);
        slot.hung(500);
        slot.exiting();
        assertThat(slot.current()).isInstanceOf(Exiting.class);
        assertThat(((Exiting) slot.current()).killAtNanos()).hasValue(500);
        assertThat(slot.state()).isEqualTo(WorkerState.EXITING);
        slot.exiting();
        slot.killAgainAt(800);
        assertThat(((Exiting) slot.current()).killAtNanos()).hasValue(800);
        assertThatThrownBy(() -> slot.vacate(900)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("slot 0: cannot vacate");
        assertThat(slot.ready(900)).isFalse();
    }

    @Test
    void whatDoesNotApplyToAStateIsRefused() {
        WorkerSlot slot = new WorkerSlot(1, generation, 0);
        assertThatThrownBy(() -> slot.hung(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(slot::exiting).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> slot.vacate(1)).isInstanceOf(IllegalStateException.class);
        slot.occupy(worker);
        assertThatThrownBy(() -> slot.occupy(worker)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> slot.retryAt(5)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> slot.hung(5)).as("a starting worker is not watched").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> slot.killAgainAt(5)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theTableCountsWhatAGenerationHasAndRunsOutOfSlots() {
        ProcessTable table = new ProcessTable(3);
        WorkerSlot a = table.allocate(generation);
        WorkerSlot b = table.allocate(generation);
        WorkerSlot c = table.allocate(generation);
        assertThat(List.of(a.slot, b.slot, c.slot)).containsExactly(0, 1, 2);
        assertThat(table.allocate(generation)).as("a full table").isNull();
        assertThat(table.free()).isZero();
        b.occupy(worker);
        b.exiting();
        assertThat(table.staying(generation)).containsExactly(a, c);
        table.release(a);
        assertThat(table.free()).isEqualTo(1);
        assertThat(table.allocate(generation).slot).as("the lowest free slot").isZero();
        assertThat(table.byChannelFd(channel.fd())).isSameAs(b);
    }
}
