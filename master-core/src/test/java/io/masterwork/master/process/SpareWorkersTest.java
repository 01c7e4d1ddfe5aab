package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.channel.Channel;
import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;
import io.masterwork.posix.UserInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When spares started for one generation may serve another (a reload), and which spare a slot gets. */
class SpareWorkersTest {
    @TempDir
    Path prefix;

    private static final Posix POSIX = NativePosix.get();
    private static final String BASE = "listen = \"127.0.0.1:8080\"\nworker_spares = 1\n";
    private final List<Channel> opened = new ArrayList<>();

    @AfterEach
    void closeChannels() {
        opened.forEach(Channel::close);
    }

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
        List<SpareWorker> spares = new ArrayList<>();
        SpareWorker older = spare(spares, one, 100, 1);
        SpareWorker ready = spare(spares, one, 101, 2);
        ready.ready(3);
        SpareWorker exiting = spare(spares, one, 102, 0);
        exiting.exiting();
        assertThat(older.number).isZero();
        assertThat(ready.number).isEqualTo(1);
        assertThat(exiting.number).isEqualTo(2);
        assertThat(SpareWorkers.bestOf(spares, one)).isSameAs(ready);
        spares.remove(ready);
        assertThat(SpareWorkers.bestOf(spares, one)).isSameAs(older);
        assertThat(SpareWorkers.bestOf(spares, otherJvm)).isNull();
        spares.remove(older);
        assertThat(SpareWorkers.bestOf(spares, one)).isNull();
        // The lowest free number is reused.
        assertThat(SpareWorkers.lowestFreeNumber(spares)).isZero();
    }

    @Test
    void oneSpareJvmStartsAtATimeAndNeverBesideAGenerationsColdStarts() throws IOException {
        WorkerGeneration one = generation(1, "");
        List<SpareWorker> spares = new ArrayList<>();
        assertThat(SpareWorkers.mayStartAnother(spares, 2, true)).isTrue();
        assertThat(SpareWorkers.mayStartAnother(spares, 2, false)).as("a worker or a reload is starting").isFalse();
        assertThat(SpareWorkers.mayStartAnother(spares, 0, true)).isFalse();
        SpareWorker first = spare(spares, one, 100, 1);
        assertThat(SpareWorkers.mayStartAnother(spares, 2, true)).as("the first is still starting").isFalse();
        first.ready(2);
        assertThat(SpareWorkers.mayStartAnother(spares, 2, true)).isTrue();
        assertThat(SpareWorkers.mayStartAnother(spares, 1, true)).as("enough").isFalse();
        // A reload retired the ready one and the next was told to exit while starting (its JVM options changed):
        // that JVM starts on until it reads the order, so no other spare starts beside it.
        first.exiting();
        SpareWorker retiredWhileStarting = spare(spares, one, 101, 3);
        retiredWhileStarting.exiting();
        assertThat(SpareWorkers.mayStartAnother(spares, 2, true)).isFalse();
        spares.remove(retiredWhileStarting); // reaped
        assertThat(SpareWorkers.mayStartAnother(spares, 2, true)).isTrue();
    }

    private SpareWorker spare(List<SpareWorker> spares, WorkerGeneration generation, int pid, long started) {
        int[] pair = POSIX.socketpair(SocketType.SEQPACKET);
        Channel channel = new Channel(POSIX, pair[0]);
        opened.add(channel);
        POSIX.closeQuietly(pair[1]);
        SpareWorker spare = new SpareWorker(SpareWorkers.lowestFreeNumber(spares), generation,
                new Worker(pid, channel, -1, started), false);
        spares.add(spare);
        return spare;
    }
}
