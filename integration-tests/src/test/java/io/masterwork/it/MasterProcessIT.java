package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Issue "Spawn, channels and the master loop", checked from outside as an operator would. */
class MasterProcessIT {

    /** With two workers here; with three in the next test, whose master has three (one master fewer to start). */
    @Test
    void workersAreChildrenOfTheMasterWithNginxTitles() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 2")) {
            assertChildrenWithNginxTitles(master, master.awaitWorkers(2), 2);
        }
    }

    private static void assertChildrenWithNginxTitles(RunningMaster master, List<Integer> workers, int n) {
        assertThat(workers).hasSize(n);
        for (int w : workers) {
            assertThat(ProcFs.parentOf(w)).isEqualTo(master.pid());
            assertThat(ProcFs.cmdline(w)).isEqualTo("masterwork: worker process");
        }
        assertThat(ProcFs.cmdline(master.pid())).startsWith("masterwork: master process");
        assertThat(master.pidFromFile()).isEqualTo(master.pid());
    }

    /**
     * Each worker holds, from the master, exactly: /dev/null, the error log, its command channel, its
     * inbox, the configuration and the listener at the contract's numbers; then the write end of each
     * sibling's inbox, and never a command channel of another worker.
     */
    @Test
    void workersHoldTheirChannelTheirSiblingsInboxesAndNeverAnotherCommandChannel() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 3")) {
            List<Integer> workers = master.awaitWorkers(3);
            assertChildrenWithNginxTitles(master, workers, 3);
            Map<Long, Long> peers = UnixSockets.peers();
            Map<Integer, String> masterFds = ProcFs.fds(master.pid());
            Set<Long> masterSockets = masterFds.values().stream().map(UnixSockets::inode).filter(i -> i > 0)
                    .collect(Collectors.toSet());

            Set<Long> commandChannelMasterEnds = new HashSet<>();
            Set<Long> commandChannelWorkerEnds = new HashSet<>();
            for (int w : workers) {
                Map<Integer, String> fds = ProcFs.fds(w);
                assertThat(fds.get(0)).isEqualTo("/dev/null");
                assertThat(fds.get(1)).isEqualTo(master.prefix().resolve("logs/error.log").toString());
                assertThat(fds.get(2)).isEqualTo(fds.get(1));
                assertThat(fds.get(3)).startsWith("socket:[");
                assertThat(fds.get(4)).startsWith("socket:[");
                assertThat(fds.get(5)).startsWith("/memfd:masterwork-config");
                // The listener is the master's own socket (same inode), not a new one.
                assertThat(masterFds.values()).contains(fds.get(6));
                long channel = UnixSockets.inode(fds.get(3));
                commandChannelWorkerEnds.add(channel);
                commandChannelMasterEnds.add(peers.get(channel));
                assertThat(masterSockets).contains(peers.get(channel));
            }
            for (int w : workers) {
                Set<Long> held = ProcFs.fds(w).values().stream().map(UnixSockets::inode).filter(i -> i > 0)
                        .collect(Collectors.toSet());
                assertThat(held).doesNotContainAnyElementsOf(commandChannelMasterEnds);
                assertThat(held.stream().filter(commandChannelWorkerEnds::contains)).hasSize(1);
                for (int sibling : workers) {
                    long inboxReadEnd = UnixSockets.inode(ProcFs.fds(sibling).get(4));
                    long inboxWriteEnd = peers.get(inboxReadEnd);
                    if (sibling == w) {
                        assertThat(held).doesNotContain(inboxWriteEnd);
                    } else {
                        assertThat(held).as("worker %d holds sibling %d's inbox", w, sibling).contains(inboxWriteEnd);
                    }
                }
            }
        }
    }

    @Test
    void priorityAndAffinityHoldForEveryThreadOfEveryWorker() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_priority = 5\n" + AllowedCpus.affinityForWorkers(2))) {
            List<Integer> workers = master.awaitWorkers(2);
            Set<String> cpus = new HashSet<>();
            for (int w : workers) {
                List<Integer> tasks = ProcFs.tasks(w);
                assertThat(tasks.size()).isGreaterThan(5);
                String first = null;
                for (int tid : tasks) {
                    assertThat(ProcFs.nice(w, tid)).as("nice of thread %d of worker %d", tid, w).isEqualTo(5);
                    String allowed = ProcFs.status("/proc/" + w + "/task/" + tid, "Cpus_allowed_list");
                    first = first == null ? allowed : first;
                    assertThat(allowed).as("affinity of thread %d of worker %d", tid, w).isEqualTo(first);
                }
                cpus.add(first);
            }
            // One CPU each, the first two this process may use (the same one when it may use only one).
            assertThat(cpus).containsExactlyInAnyOrderElementsOf(
                    new HashSet<>(List.of(Integer.toString(AllowedCpus.nth(0)), Integer.toString(AllowedCpus.nth(1)))));
            // The master keeps its own.
            assertThat(ProcFs.nice(master.pid(), master.pid())).isZero();
        }
    }

    @Test
    void aKilledWorkerIsReplacedInItsSlotAndSiblingsSwapItsInbox() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 3")) {
            List<Integer> before = master.awaitWorkers(3);
            int victim = before.get(0);
            RunningMaster.kill("KILL", victim);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> master.workers().size() == 3 && !master.workers().contains(victim));
            List<Integer> after = master.awaitWorkers(3);
            int replacement = after.stream().filter(p -> !before.contains(p)).findFirst().orElseThrow();
            assertThat(master.errorLog()).contains("worker process " + victim + " killed by signal 9");

            Map<Long, Long> peers = UnixSockets.peers();
            long newInboxWriteEnd = peers.get(UnixSockets.inode(ProcFs.fds(replacement).get(4)));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (int sibling : after) {
                    if (sibling == replacement) {
                        continue;
                    }
                    Set<Long> held = ProcFs.fds(sibling).values().stream().map(UnixSockets::inode)
                            .filter(i -> i > 0).collect(Collectors.toSet());
                    assertThat(held).contains(newInboxWriteEnd);
                    // Every unix socket a sibling holds still has a live peer: the dead worker's inbox was dropped.
                    Map<Long, Long> now = UnixSockets.peers();
                    for (long inode : held) {
                        if (now.containsKey(inode)) {
                            assertThat(now.get(inode)).as("peer of %d in worker %d", inode, sibling).isNotZero();
                        }
                    }
                }
            });
            // Same slot: the slot number in the log line of the replacement is the victim's.
            String slotOfVictim = slotOf(master.errorLog(), victim);
            assertThat(slotOf(master.errorLog(), replacement)).isEqualTo(slotOfVictim);
        }
    }

    /**
     * Issue 28, fail fast at start: a first generation whose application cannot start (every worker exits 2, never
     * respawned) ends the master with status 1 and the application's message, well within worker_ready_timeout,
     * instead of leaving a master that listens with no worker.
     */
    @Test
    void aFirstGenerationWhoseApplicationCannotStartEndsTheMaster() throws Exception {
        long started = System.nanoTime();
        Path prefix = RunningMaster.newPrefixWith("listen = \"127.0.0.1:" + RunningMaster.freePort() + "\"\n"
                + "worker_ready_timeout = 30s\nmodules { worker = [\"io.masterwork.it.apps.FailingStartModule\"] }\n");
        RunningMaster.CommandResult run = RunningMaster.runToEnd(prefix, Duration.ofSeconds(60));
        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
        assertThat(run.output()).contains("no worker of generation 1 could start, the master exits: the application ")
                .contains("did not start: java.lang.IllegalStateException: injected start-up failure");
        String errorLog = Files.readString(prefix.resolve("logs/error.log"));
        assertThat(errorLog).contains("exited with fatal code 2 and cannot be respawned");
        // never respawned: the two workers of the generation were all it started
        assertThat(errorLog.split("start worker process", -1).length - 1).isEqualTo(2);
        assertThat(prefix.resolve("logs/masterwork.pid")).doesNotExist();
    }

    @Test
    void quitStopsGracefullyAndRemovesThePidFile() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> workers = master.awaitWorkers(2);
            master.signal("QUIT");
            assertThat(master.awaitExit(Duration.ofSeconds(20))).isZero();
            workers.forEach(w -> assertThat(ProcFs.exists(w)).isFalse());
            assertThat(master.pidFile()).doesNotExist();
            assertThat(master.errorLog()).contains("gracefully shutting down").doesNotContain("SIGKILL");
        }
    }

    @Test
    void termStopsFastAndRemovesThePidFile() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> workers = master.awaitWorkers(2);
            master.signal("TERM");
            assertThat(master.awaitExit(Duration.ofSeconds(10))).isZero();
            workers.forEach(w -> assertThat(ProcFs.exists(w)).isFalse());
            assertThat(master.pidFile()).doesNotExist();
        }
    }

    @Test
    void usr1ReopensTheErrorLogAfterItWasMoved() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            java.nio.file.Path log = master.prefix().resolve("logs/error.log");
            java.nio.file.Files.move(log, master.prefix().resolve("logs/error.log.1"));
            master.signal("USR1");
            await().atMost(Duration.ofSeconds(10)).until(() -> java.nio.file.Files.exists(log)
                    && master.errorLog().contains("logs reopened"));
            // The workers follow: their own lines (and anything their JVM prints) now go to the new file.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (int w : master.workers()) {
                    assertThat(master.errorLog()).contains(w + "#loop: logs reopened");
                }
            });
            assertThat(master.isAlive()).isTrue();
        }
    }

    @Test
    void sigioNeverKillsTheMaster() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> workers = master.awaitWorkers(2);
            for (int i = 0; i < 5; i++) {
                master.signal("IO");
            }
            // Answered after the signals were sent, so after the master's loop drained them from its signalfd.
            assertThat(CrashLoopAndWatchdogIT.controlCommand(master, "status")).startsWith("{\"pid\":" + master.pid());
            assertThat(master.isAlive()).isTrue();
            assertThat(master.workers()).containsExactlyElementsOf(workers);
        }
    }

    private static String slotOf(String log, int pid) {
        var m = java.util.regex.Pattern.compile("start worker process " + pid + " \\(slot (\\d+)\\)").matcher(log);
        return m.find() ? m.group(1) : null;
    }
}
