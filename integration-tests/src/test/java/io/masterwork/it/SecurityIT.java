package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.master.control.ControlClient;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, "Security", checked on a real master after what changes a worker's lot (a respawn, a log reopen
 * after rotation, a reload). Already covered elsewhere and cited in docs/RELIABILITY.md: WorkerIT (uid/gid/groups
 * after `user`), WorkerCredentialsIT, ControlSocketIT (0600, peer credentials), MasterProcessIT (fds 0..6 and
 * channel ownership at start), WorkerLifecycleIT and ChannelBetweenProcessesIT (forged commands on the inbox).
 */
class SecurityIT {
    private static final String NOBODY = "65534\t65534\t65534\t65534";

    @Test
    void afterRespawnReopenAndReloadWorkersHoldOnlyWhatTheContractNames() throws Exception {
        assumeThat(io.masterwork.posix.NativePosix.get().geteuid()).as("needs root, for user").isZero();
        try (RunningMaster master = RunningMaster.start("user = \"nobody nogroup\"\nenv = [\"KEPT_15=yes\"]\n",
                Map.of("MASTERWORK_SECRET_15", "must-not-reach-a-worker"))) {
            List<Integer> first = master.awaitWorkers(2);
            RunningMaster.kill("KILL", first.get(0));
            await().atMost(Duration.ofSeconds(30)).until(() -> !master.workers().contains(first.get(0)) && master.workers().size() == 2);
            master.awaitWorkers(2);
            // logrotate's move, then USR1: the master recreates the logs for the worker user, the workers reopen them.
            Path logs = master.prefix().resolve("logs");
            Files.move(logs.resolve("error.log"), logs.resolve("error.log.1"));
            Files.move(logs.resolve("access.log"), logs.resolve("access.log.1"));
            master.signal("USR1");
            for (int w : master.workers()) {
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(logs.resolve("error.log"))
                        && Files.readString(logs.resolve("error.log")).contains(w + "#loop: logs reopened"));
            }
            assertThat(Http.get(master.port(), "/after-reopen").status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(logs.resolve("access.log")).contains("/after-reopen"));
            for (String log : List.of("error.log", "access.log")) {
                assertThat(Files.getAttribute(logs.resolve(log), "unix:uid")).as(log).isEqualTo(65534);
                assertThat(Files.getPosixFilePermissions(logs.resolve(log))).as(log).doesNotContain(PosixFilePermission.OTHERS_WRITE);
            }
            try (ControlClient client = ControlClient.connect(logs.resolve("masterwork.sock"))) {
                assertThat(client.ask("reload", Duration.ofSeconds(60))).contains("\"ok\":true");
            }
            List<Integer> workers = master.awaitWorkers(2);

            assertThat(ProcFs.status("/proc/" + master.pid(), "Uid")).startsWith("0\t");
            Map<Integer, String> masterFds = ProcFs.fds(master.pid());
            Set<String> masterObjects = new HashSet<>(masterFds.values());
            Set<String> listeners = workers.stream().map(w -> ProcFs.fds(w).get(6)).collect(Collectors.toSet());
            assertThat(listeners).hasSize(1);
            Map<Long, Long> peers = UnixSockets.peers();
            for (int w : workers) {
                assertThat(ProcFs.status("/proc/" + w, "Uid")).isEqualTo(NOBODY);
                assertThat(ProcFs.status("/proc/" + w, "Gid")).isEqualTo(NOBODY);
                // The environment is exactly what `env` names, plus the worker marker and HotSpot's suspend/resume
                // signal moved off USR2 (which a worker ignores), as the spawn contract says.
                String environ = ProcFs.read(w, "environ");
                assertThat(Arrays.stream(environ.split("\0")).filter(s -> !s.isEmpty()).sorted().toList())
                        .containsExactly("KEPT_15=yes", "MASTERWORK_WORKER=1", "_JAVA_SR_SIGNUM=40");
                // Of the master's own sockets, pipes and anonymous inodes, a worker shares only the listener and
                // its siblings' inbox write ends (handed over with OPEN_CHANNEL), never a command channel, the
                // signalfd, the control socket or the systemd socket.
                Set<String> siblingInboxes = workers.stream().filter(s -> s != w)
                        .map(s -> "socket:[" + peers.get(UnixSockets.inode(ProcFs.fds(s).get(4))) + "]").collect(Collectors.toSet());
                Map<Integer, String> fds = ProcFs.fds(w);
                Set<String> shared = fds.values().stream()
                        .filter(t -> t.startsWith("socket:") || t.startsWith("pipe:"))
                        .filter(masterObjects::contains).collect(Collectors.toSet());
                Set<String> allowed = new HashSet<>(listeners);
                allowed.addAll(siblingInboxes);
                assertThat(shared).as("worker %d shares with the master", w).isSubsetOf(allowed).containsAll(allowed);
                assertThat(fds.values()).noneMatch(t -> t.contains("signalfd") || t.endsWith("masterwork.sock")
                        || t.endsWith("masterwork.pid") || t.endsWith("masterwork.conf"));
                assertThat(fds.get(0)).isEqualTo("/dev/null");
                assertThat(fds.get(1)).isEqualTo(logs.resolve("error.log").toString()).isEqualTo(fds.get(2));
                assertThat(fds.get(5)).startsWith("/memfd:masterwork-config");
            }

            assertThat(Files.getAttribute(master.pidFile(), "unix:uid")).isEqualTo(0);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(master.pidFile()))).isEqualTo("rw-r--r--");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(logs.resolve("masterwork.sock"))))
                    .isEqualTo("rw-------");
            // Nothing the master or its workers created is writable by everyone.
            try (Stream<Path> all = Files.walk(master.prefix())) {
                List<String> worldWritable = all.filter(p -> !Files.isSymbolicLink(p))
                        .filter(p -> {
                            try {
                                return Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OTHERS_WRITE);
                            } catch (java.io.IOException e) {
                                return false;
                            }
                        }).map(Path::toString).toList();
                assertThat(worldWritable).isEmpty();
            }
        }
    }

    @Test
    @TimingSensitive
    void aWorkerCannotCommandTheMasterNorHoldUpItsLoop() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 2\n"
                + "modules { worker = [\"io.masterwork.it.apps.ForgingWorkerModule\"] }")) {
            List<Integer> workers = master.awaitWorkers(2);
            Path socket = master.prefix().resolve("logs/masterwork.sock");
            long worstStatusMillis = 0;
            int asked = 0;
            // While both workers flood their channels, the master answers its control socket.
            while (!master.errorLog().contains("forged: flood done") && asked < 40) {
                long t0 = System.nanoTime();
                try (ControlClient client = ControlClient.connect(socket)) {
                    assertThat(client.ask("status", Duration.ofSeconds(30))).startsWith("{\"pid\":" + master.pid());
                }
                worstStatusMillis = Math.max(worstStatusMillis, (System.nanoTime() - t0) / 1_000_000);
                asked++;
                Thread.sleep(100);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> count(master.errorLog(), "forged: flood done") == 2);
            String log = master.errorLog();
            for (String command : List.of("QUIT", "TERMINATE", "REOPEN", "CLOSE_CHANNEL", "OPEN_CHANNEL", "MESSAGE")) {
                for (int w : workers) {
                    assertThat(log).contains("worker process " + w + " sent " + command + ", which a worker may not send; ignored");
                }
            }
            assertThat(log).contains("sent a malformed frame, dropped");
            // The flood's STATUS frames are no figures (4096 bytes of zeros): each worker's refused once in the log.
            for (int w : workers) {
                assertThat(count(log, "worker process " + w + " sent figures that do not decode")).isEqualTo(1);
            }
            assertThat(master.isAlive()).isTrue();
            assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(workers);
            assertThat(log).doesNotContain("gracefully shutting down").doesNotContain("logs reopened");
            // The descriptor that came with the forged OPEN_CHANNEL was closed by the master.
            assertThat(ProcFs.fds(master.pid()).values()).doesNotContain("/dev/null");
            String floods = log.lines().filter(l -> l.contains("forged: flood done")).map(l -> l.replaceAll(".*done, ", ""))
                    .collect(Collectors.joining(" and "));
            Figures.record("a hostile worker", "6 forged commands each (one with a descriptor) and garbage ignored; "
                    + "channel floods of " + floods + " in 5 s; " + asked + " control-socket status answers meanwhile, slowest "
                    + worstStatusMillis + " ms");
            assertThat(asked).isPositive();
            assertThat(worstStatusMillis).isLessThan(5_000);
        }
    }

    private static long count(String text, String needle) {
        return text.split(java.util.regex.Pattern.quote(needle), -1).length - 1L;
    }
}
