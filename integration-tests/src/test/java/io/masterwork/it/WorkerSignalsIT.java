package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.testkit.Probes;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The master's signals are the master's: a terminal's hang-up or an operator's {@code pkill -HUP -f masterwork}
 * reaches the workers too, and nginx's workers ignore HUP, USR2 and WINCH (TTIN and TTOU would stop a process).
 */
class WorkerSignalsIT {

    @Test
    void aWorkerOutlivesTheMastersSignalsAndGoesOnServing() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> workers = master.awaitWorkers(2);
            int target = workers.get(0);
            for (String signal : List.of("HUP", "USR2", "WINCH", "TTIN", "TTOU")) {
                RunningMaster.kill(signal, target);
            }
            Thread.sleep(1500);
            assertThat(ProcFs.exists(target)).as("the worker that got HUP, USR2, WINCH, TTIN and TTOU").isTrue();
            assertThat(ProcFs.status("/proc/" + target, "State")).as("not stopped by TTIN/TTOU").doesNotStartWith("T");
            assertThat(master.workers()).containsExactlyElementsOf(workers);
            assertThat(master.errorLog()).doesNotContain("worker process " + target + " exited")
                    .doesNotContain("worker process " + target + " killed");
            try (Stream<java.nio.file.Path> files = Files.list(master.prefix())) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith("hs_err_pid"));
            }
            // It still reads its channel and serves.
            assertThat(Probes.workerView(master, target)).contains("\"generation\":1");
            master.signal("USR1");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> master.errorLog().contains(target + "#loop: logs reopened"));
        }
    }
}
