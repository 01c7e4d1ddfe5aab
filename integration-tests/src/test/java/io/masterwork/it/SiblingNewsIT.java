package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Probes;
import io.masterwork.testkit.RunningMaster;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * OPEN_CHANNEL and CLOSE_CHANNEL have no signal to fall back to: a worker that reads nothing for a while (a busy
 * loop, a JVM still starting) must still learn of every sibling once it reads again, or siblings' views diverge.
 */
class SiblingNewsIT {

    @Test
    @TimingSensitive
    void newsOfASiblingThatAFullChannelCannotTakeIsDeliveredWhenTheWorkerReadsAgain() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 2\n"
                + "modules { worker = [\"io.masterwork.it.apps.LoopPauseModule\"] }")) {
            List<Integer> workers = master.awaitWorkers(2);
            int paused = workers.get(0);
            Files.writeString(master.prefix().resolve("pause-" + paused), "10000");
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().contains("worker " + paused + ": event loop paused"));

            // Fill its channel for real: REOPEN after REOPEN until the master falls back to the signal.
            String full = "REOPEN to worker process " + paused + " not sent over the channel (its channel is full (EAGAIN))";
            for (int i = 0; i < 2000 && !master.errorLog().contains(full); i++) {
                Probes.control(master, "reopen", Duration.ofSeconds(10));
            }
            assertThat(master.errorLog()).contains(full);

            // A new sibling is born while the channel is full: its OPEN_CHANNEL cannot be written now.
            master.signal("TTIN");
            List<Integer> three = master.awaitWorkers(3);
            int born = three.stream().filter(p -> !workers.contains(p)).findFirst().orElseThrow();
            assertThat(master.errorLog()).as("the pause outlasted the birth")
                    .doesNotContain("worker " + paused + ": event loop resumed");

            await().atMost(Duration.ofSeconds(30)).until(() -> master.errorLog().contains("worker " + paused + ": event loop resumed"));
            String view = Probes.answerOf(master, "/_worker",
                    a -> a.startsWith("{\"pid\":" + paused + ",") && a.contains("\"pid\":" + born + "}"), Duration.ofSeconds(20));
            assertThat(view).contains("\"pid\":" + workers.get(1) + "}");
            assertThat(master.errorLog()).as("news is kept, never dropped").doesNotContain("OPEN_CHANNEL to worker process " + paused);
            // And the newborn knows the paused worker, as every sibling knows every other.
            assertThat(Probes.workerView(master, born)).contains("\"pid\":" + paused + "}");
        }
    }
}
