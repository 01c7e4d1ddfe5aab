package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Persistent;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 28: a downstream application's end of life in a real worker: after QUIT the drain, then the
 * application's stop hook, then its blocking threads (counted in /proc, named blocking-N) are stopped — work
 * still under way is interrupted — and the worker exits.
 */
class WorkerLifecycleIT {

    @Test
    void theStopHookRunsAfterTheDrainAndTheBlockingThreadsStopWithTheWorker() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\n"
                + "modules { worker = [\"io.masterwork.it.apps.LifecycleModule\"] }")) {
            // Where the application writes: the workers run as nobody when the tests run as root.
            Path files = Files.createDirectories(master.prefix().resolve("lifecycle"));
            Files.setPosixFilePermissions(files, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            List<Integer> workers = master.awaitWorkers(1);
            int worker = workers.get(0);
            assertThat(blockingThreads(worker)).as("no blocking thread before one is asked for").isZero();
            try (Persistent client = new Persistent(master.port())) {
                assertThat(client.request("/block").body()).startsWith("blocking-");
            }
            assertThat(blockingThreads(worker)).isEqualTo(1);
            Path stopped = files.resolve("stopped-" + worker);
            Path ended = files.resolve("blocking-" + worker + "-ended");
            assertThat(stopped).doesNotExist();

            master.signal("QUIT");
            assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> !ProcFs.exists(worker));
            assertThat(Files.readString(stopped)).as("the stop hook ran after the drain").isEqualTo("open connections: 0");
            assertThat(Files.readString(ended)).as("blocking work under way was interrupted").isEqualTo("interrupted");
        }
    }

    /** Threads of {@code pid} named blocking-N. */
    private static long blockingThreads(int pid) {
        return ProcFs.tasks(pid).stream()
                .map(tid -> ProcFs.read(pid, "task/" + tid + "/comm"))
                .filter(name -> name != null && name.startsWith("blocking-"))
                .count();
    }
}
