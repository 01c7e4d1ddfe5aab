package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A master that is not root. nginx's workers log an alert when a setting needs privileges they lack and go on;
 * a masterwork worker must start all the same rather than be spawned again and again.
 */
class UnprivilegedMasterIT {
    /** Gives the prefix (the command's last argument) to nobody, then runs the master as nobody. */
    private static final List<String> AS_NOBODY = List.of("sh", "-c",
            "for a; do last=$a; done; chown -R 65534:65534 \"$last\" && exec setpriv --reuid=65534 --regid=65534 "
                    + "--clear-groups \"$@\"", "sh");

    @Test
    void aNegativeWorkerPriorityUnderAMasterThatIsNotRootStartsTheWorkersWithoutIt() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_priority = -5\n", Map.of(), RunningMaster.freePort(),
                AS_NOBODY)) {
            assertThat(ProcFs.status("/proc/" + master.pid(), "Uid")).startsWith("65534");
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100))
                    .until(() -> master.errorLog().contains("serving: 2 workers of generation 1 ready"));
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            String log = master.errorLog();
            assertThat(log).contains("worker_priority cannot apply to the next worker (setpriority: EACCES")
                    .contains("worker_priority is -5 but this worker runs with nice 0")
                    .doesNotContain("could not spawn a worker");
        }
    }
}
