package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A worker out of heap exits (status 3) and is respawned as a crash, instead of lingering half-broken. */
class WorkerOutOfMemoryIT {

    @Test
    void aWorkerThatRunsOutOfHeapExitsAndIsRespawnedAsACrash() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_jvm_options = [\"-Xmx48m\"]\n"
                + "modules { worker = [\"io.masterwork.it.apps.HeapExhaustingModule\"] }")) {
            int leaking = master.awaitWorkers(1).get(0);
            try (Socket s = new Socket("127.0.0.1", master.port())) {
                OutputStream out = s.getOutputStream();
                out.write("leak\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                await().atMost(Duration.ofSeconds(20)).until(() ->
                        master.errorLog().contains("worker process " + leaking + " exited with code 3"));
            }
            assertThat(master.errorLog()).contains("Terminating due to java.lang.OutOfMemoryError: Java heap space")
                    .containsPattern("worker in slot 0 died \\d+ ms after start; respawning in \\d+ ms");
            int replacement = await().atMost(Duration.ofSeconds(60)).until(() -> {
                var now = master.workers();
                return now.size() == 1 && now.get(0) != leaking ? now.get(0) : null;
            }, p -> p != null);
            assertThat(ProcFs.exists(leaking)).isFalse();
            assertThat(replacement).isNotEqualTo(leaking);
        }
    }
}
