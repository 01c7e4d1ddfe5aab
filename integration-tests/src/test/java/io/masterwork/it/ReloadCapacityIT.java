package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.Probes;
import io.masterwork.testkit.RunningMaster;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A reload needs a free slot for every new worker beside the old generation's. One that cannot have them all must
 * fail as a whole, with the old generation serving on — never commit a partial generation.
 */
class ReloadCapacityIT {

    @Test
    void aReloadThatCannotHaveEveryNewSlotFailsAndTheOldGenerationServesOn() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 2\n"
                + "modules { master = [\"io.masterwork.it.faults.SmallProcessTableModule\"] }")) {
            List<Integer> old = master.awaitWorkers(2);
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(20)).until(() -> master.errorLog().contains("reload failed"));
            assertThat(master.errorLog()).contains("reload failed, generation 1 goes on serving: the process table has "
                    + "1 free slots of 3, the new generation needs 2 (worker_processes)");
            Thread.sleep(1000);
            assertThat(master.workers()).containsExactlyElementsOf(old);
            assertThat(master.errorLog()).doesNotContain("is quitting").doesNotContain("generation 2 serving");
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");
            assertThat(Probes.control(master, "status", Duration.ofSeconds(10)))
                    .contains("\"generation\":1").contains("\"reloads\":0").contains("\"failed_reloads\":1");
        }
    }
}
