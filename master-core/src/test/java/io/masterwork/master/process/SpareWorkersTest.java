package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.UserInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When spares started for one generation may serve another (a reload), and which spare a slot gets. */
class SpareWorkersTest {
    @TempDir
    Path prefix;

    private static final io.masterwork.posix.Posix POSIX = io.masterwork.posix.NativePosix.get();
    private static final String BASE = "listen = \"127.0.0.1:8080\"\nworker_spares = 1\n";

    private WorkerGeneration generation(long number, String extra, UserInfo user, List<Integer> fds) throws IOException {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), BASE + extra);
        MasterConfiguration config = ConfigLoader.load(Path.of("conf/masterwork.conf"), prefix);
        return new WorkerGeneration(number, config, user, fds);
    }

    private WorkerGeneration generation(long number, String extra) throws IOException {
        return generation(number, extra, null, List.of(7));
    }

    @Test
    void whatTravelsWithPromoteMayChange() throws IOException {
        WorkerGeneration one = generation(1, "http { body = \"one\" }\nworker_processes = 2\nworker_shutdown_timeout = 3s\n");
        WorkerGeneration two = generation(2, "http { body = \"two\" }\nworker_processes = 4\nerror_log = \"logs/other.log\"\n");
        assertThat(SpareWorkers.incompatibility(one, two)).isNull();
        assertThat(SpareWorkers.incompatibility(one, one)).isNull();
    }

    @Test
    void whatAStartedJvmCannotChangeMayNot() throws IOException {
        WorkerGeneration one = generation(1, "");
        assertThat(SpareWorkers.incompatibility(one, generation(2, "worker_jvm_options = [\"-Xmx64m\"]\n")))
                .isEqualTo("worker_jvm_options changed");
        assertThat(SpareWorkers.incompatibility(one, generation(2, "env = [\"A=1\"]\n"))).isEqualTo("env changed");
        assertThat(SpareWorkers.incompatibility(one, generation(2, "worker_rlimit_nofile = 4096\n")))
                .isEqualTo("worker_rlimit_nofile changed");
        assertThat(SpareWorkers.incompatibility(one, generation(2, "worker_rlimit_core = 0\n")))
                .isEqualTo("worker_rlimit_core changed");
        assertThat(SpareWorkers.incompatibility(one, generation(2, "worker_priority = 5\n"))).isEqualTo("worker_priority changed");
        assertThat(SpareWorkers.incompatibility(one, generation(2, "", null, List.of(9)))).isEqualTo("listen changed");
        UserInfo nobody = new UserInfo("nobody", 65534, 65534, "/", new int[] {65534});
        assertThat(SpareWorkers.incompatibility(one, generation(2, "", nobody, List.of(7)))).isEqualTo("user changed");
        assertThat(SpareWorkers.incompatibility(generation(1, "", nobody, List.of(7)),
                generation(2, "", new UserInfo("nobody", 65534, 65534, "/", new int[] {65534}), List.of(7)))).isNull();
    }

    @Test
    void aSlotGetsAReadySpareFirstThenTheOldestAndNeverOneThatIsExitingOrIncompatible() throws IOException {
        WorkerGeneration one = generation(1, "");
        WorkerGeneration otherJvm = generation(2, "worker_jvm_options = [\"-Xmx64m\"]\n");
        SpareWorkers spares = new SpareWorkers();
        WorkerSlot older = spare(spares, one, 100, WorkerState.STARTING, 1);
        try {
            choose(spares, one, otherJvm, older);
        } finally {
            opened.forEach(io.masterwork.channel.Channel::close);
        }
    }

    private final List<io.masterwork.channel.Channel> opened = new java.util.ArrayList<>();

    private void choose(SpareWorkers spares, WorkerGeneration one, WorkerGeneration otherJvm, WorkerSlot older) {
        WorkerSlot ready = spare(spares, one, 101, WorkerState.READY, 2);
        WorkerSlot exiting = spare(spares, one, 102, WorkerState.EXITING, 0);
        assertThat(older.slot).isZero();
        assertThat(ready.slot).isEqualTo(1);
        assertThat(exiting.slot).isEqualTo(2);
        assertThat(spares.bestFor(one)).isSameAs(ready);
        spares.release(ready);
        assertThat(spares.bestFor(one)).isSameAs(older);
        assertThat(spares.bestFor(otherJvm)).isNull();
        spares.release(older);
        assertThat(spares.bestFor(one)).isNull();
        // The lowest free number is reused.
        assertThat(spares.allocate().slot).isZero();
    }

    private WorkerSlot spare(SpareWorkers spares, WorkerGeneration spec, int pid, WorkerState state, long started) {
        WorkerSlot s = spares.allocate();
        s.pid = pid;
        s.spec = spec;
        s.state = state;
        s.startedAtNanos = started;
        int[] pair = POSIX.socketpair(io.masterwork.posix.SocketType.SEQPACKET);
        s.channel = new io.masterwork.channel.Channel(POSIX, pair[0]);
        opened.add(s.channel);
        POSIX.closeQuietly(pair[1]);
        return s;
    }
}
