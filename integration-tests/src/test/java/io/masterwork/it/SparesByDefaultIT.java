package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.master.process.MemoryHeadroom;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24: {@code worker_spares = auto}, the default — one spare per worker, as many as fit in 10% of the memory the
 * machine or the master's cgroup can still give. What an operator sees: the master's line saying how many and why,
 * the spares beside the workers in /proc, never among them in the status, /metrics or the CLI.
 */
// Spares start at idle priority: another class's workers on the same CPUs starve them.
@TimingSensitive
class SparesByDefaultIT {
    private static final String STATUS_LINE = "spare workers: 2 (worker_spares = auto: one per worker (2); 10% of MemAvailable (";

    @Test
    void theDefaultMasterKeepsOneSparePerWorkerAndNeverCountsThemAsWorkers() throws Exception {
        try (RunningMaster master = RunningMaster.builder().defaultSpares().workerProcesses(2).start()) {
            List<Integer> workers = master.awaitWorkers(2);
            List<Integer> spares = awaitReadySpares(master, 2);
            assertThat(master.errorLog()).contains(STATUS_LINE);
            assertThat(ProcFs.children(master.pid())).containsExactlyInAnyOrderElementsOf(
                    concat(workers, spares));
            assertThat(master.workers()).as("workers, by the testkit").containsExactlyInAnyOrderElementsOf(workers);

            String status = CrashLoopAndWatchdogIT.controlCommand(master, "status");
            String workersPart = status.substring(status.indexOf("\"workers\""), status.indexOf("\"spares\""));
            for (int spare : spares) {
                assertThat(workersPart).doesNotContain("\"pid\":" + spare + ",");
                assertThat(status).contains("\"pid\":" + spare + ",");
            }
            assertThat(status).contains("\"desired_spares\":2").contains("\"spares_reason\":\"worker_spares = auto: one per worker (2)");

            String metrics = CrashLoopAndWatchdogIT.controlCommand(master, "metrics");
            assertThat(metrics).contains("masterwork_workers{state=\"ready\"} 2.0")
                    .contains("masterwork_spares{state=\"ready\"} 2.0")
                    .contains("masterwork_spares_desired 2.0")
                    .contains("masterwork_workers_desired 2.0");

            RunningMaster.CommandResult table = master.command("status");
            assertThat(table.output()).contains("spares wanted 2: worker_spares = auto: one per worker (2)")
                    .contains("spare 0").contains("spare 1");
            RunningMaster.CommandResult test = master.command("-t");
            assertThat(test.exit()).as(test.output()).isZero();
            assertThat(test.output()).contains(STATUS_LINE);

            // `masterwork workers 3`: the third worker is a spare promoted, and auto follows the count: three spares.
            RunningMaster.CommandResult three = master.command("workers", "3");
            assertThat(three.output()).as(three.output()).contains("3 workers in generation 1");
            List<Integer> threeWorkers = master.awaitWorkers(3);
            assertThat(threeWorkers).containsAll(workers).containsAnyElementsOf(spares);
            assertThat(master.errorLog()).contains("spare workers: 3 (worker_spares = auto: one per worker (3)");
            List<Integer> threeSpares = awaitReadySpares(master, 3);
            assertThat(threeSpares).doesNotContainAnyElementsOf(threeWorkers);
            assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(threeWorkers);
            assertThat(CrashLoopAndWatchdogIT.controlCommand(master, "metrics"))
                    .contains("masterwork_workers{state=\"ready\"} 3.0").contains("masterwork_spares{state=\"ready\"} 3.0");
        }
    }

    /**
     * The memory bound, through the master's test hook ({@link MemoryHeadroom#ROOT_PROPERTY}): this machine has no
     * cgroup v2 memory controller a test could create a group under (a hybrid hierarchy whose memory controller is
     * v1), so the master reads a cgroup whose memory.max leaves 400 MiB: 10% fits one spare of ~40 MiB, not two.
     */
    @Test
    void aCgroupWithLittleRoomLeftGetsFewerSpares(@TempDir Path root) throws Exception {
        write(root, "proc/meminfo", "MemTotal: 24683756 kB\nMemAvailable: 20000000 kB\n");
        write(root, "proc/self/cgroup", "0::/masterwork.service\n");
        write(root, "sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
        write(root, "sys/fs/cgroup/masterwork.service/memory.max", Long.toString(700L << 20));
        write(root, "sys/fs/cgroup/masterwork.service/memory.current", Long.toString(300L << 20));
        try (RunningMaster master = RunningMaster.builder().defaultSpares().workerProcesses(2)
                .masterJvmOptions("-D" + MemoryHeadroom.ROOT_PROPERTY + "=" + root).start()) {
            master.awaitWorkers(2);
            int spare = awaitReadySpares(master, 1).get(0);
            assertThat(master.errorLog()).contains("spare workers: 1 (worker_spares = auto: fewer than one per worker (2); "
                    + "10% of cgroup /masterwork.service's memory.max 700 MiB less its memory.current 300 MiB (400 MiB) fits 1");
            // One spare and no second: the next turn would start it at once if one were wanted.
            Thread.sleep(1500);
            assertThat(master.spares()).containsExactly(spare);
            assertThat(count(master.errorLog(), "start spare worker process")).isEqualTo(1);
            String status = CrashLoopAndWatchdogIT.controlCommand(master, "status");
            assertThat(status).contains("\"desired_spares\":1");
        }
    }

    /** The master's live spares, once {@code n} of them said READY. */
    static List<Integer> awaitReadySpares(RunningMaster master, int n) {
        return await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(100)).until(() -> {
            List<Integer> spares = master.spares();
            String log = master.errorLog();
            boolean ready = spares.stream().allMatch(p -> Pattern.compile("\\] \\d+#main: spare worker process " + p
                    + " \\(spare \\d+\\) ready in").matcher(log).find());
            return spares.size() == n && ready ? spares : null;
        }, s -> s != null);
    }

    private static List<Integer> concat(List<Integer> a, List<Integer> b) {
        List<Integer> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static long count(String text, String needle) {
        return text.split(Pattern.quote(needle), -1).length - 1L;
    }

    private static void write(Path root, String file, String text) throws Exception {
        Path path = root.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }
}
