package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Probes;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A worker the master can no longer wait for (waitpid says ECHILD: not its child any more) is gone as far as the
 * master can ever know: its slot does not wait for it forever, and QUIT completes.
 */
class LostWorkerIT {
    private static final String MASTER_FAULTS = "modules { master = [\"io.masterwork.testkit.faults.FaultInjectionModule\"] }\n";

    @Test
    void aWorkerThatIsNoLongerTheMastersChildDoesNotHoldUpQuit() throws Exception {
        try (RunningMaster master = RunningMaster.start(MASTER_FAULTS)) {
            List<Integer> workers = master.awaitWorkers(2);
            Probes.armMasterFaults(master, "waitpid:ECHILD");
            master.signal("QUIT");
            assertThat(master.awaitExit(Duration.ofSeconds(20))).isZero();
            for (int w : workers) {
                assertThat(master.errorLog()).contains("worker process " + w
                        + " is not a child of this master any more (waitpid: ECHILD)");
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> workers.stream().noneMatch(ProcFs::exists));
        }
    }
}
