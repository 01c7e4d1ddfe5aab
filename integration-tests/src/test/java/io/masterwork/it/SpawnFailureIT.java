package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Probes;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A spawn that fails half-way with something other than a native error (the command channel cannot be set up) is a
 * spawn failure like any other: logged, backed off, retried, and nothing it opened is left open.
 */
class SpawnFailureIT {
    private static final String MASTER_FAULTS = "modules { master = [\"io.masterwork.testkit.faults.FaultInjectionModule\"] }\n";

    @Test
    void aSpawnThatFailsWithoutANativeErrorIsRetriedAndLeaksNothing() throws Exception {
        try (RunningMaster master = RunningMaster.start(MASTER_FAULTS + "worker_respawn_backoff = 100ms\n")) {
            List<Integer> workers = master.awaitWorkers(2);
            int fdsBefore = ProcFs.fds(master.pid()).size();
            // The command channel's own fcntl fails: a ChannelException from the Channel, not a PosixException.
            Probes.armMasterFaults(master, "fcntl:EIO:count=3");
            RunningMaster.kill("KILL", workers.get(0));
            await().atMost(Duration.ofSeconds(30)).until(() -> master.workers().size() == 2
                    && !master.workers().contains(workers.get(0)));
            master.awaitWorkers(2);
            Matcher retries = Pattern.compile("could not spawn a worker into slot \\d+: "
                    + "channel fd \\d+: cannot make it non-blocking: fcntl: EIO .*; retrying in (\\d+) ms").matcher(master.errorLog());
            List<String> delays = new ArrayList<>();
            while (retries.find()) {
                delays.add(retries.group(1));
            }
            assertThat(delays).as("each failed spawn backs off, as a failed posix_spawn does").containsExactly("100", "200", "400");
            await().atMost(Duration.ofSeconds(5)).until(() -> ProcFs.fds(master.pid()).size() == fdsBefore);
        }
    }
}
