package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.RunningMaster;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue "Live worker count": TTIN and TTOU, as gunicorn and unicorn do; a reload applies the file again. */
class WorkerCountIT {

    @Test
    void ttinAddsAWorkerTtouRetiresOneNeverBelowOneAndAReloadRestoresTheConfiguredCount() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 2")) {
            List<Integer> two = master.awaitWorkers(2);
            master.signal("TTIN");
            List<Integer> three = master.awaitWorkers(3);
            assertThat(three).containsAll(two);

            master.signal("TTOU");
            master.signal("TTOU");
            await().atMost(Duration.ofSeconds(30)).until(() -> master.workers().size() == 1);
            master.signal("TTOU");
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().contains("never runs fewer than one worker"));
            assertThat(master.workers()).hasSize(1);
            assertThat(master.errorLog()).doesNotContain("SIGKILL");
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);

            Files.writeString(master.prefix().resolve("conf/masterwork.conf"),
                    Files.readString(master.prefix().resolve("conf/masterwork.conf")));
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(40)).until(() -> master.errorLog().contains("reload complete"));
            assertThat(master.errorLog()).contains("the reload applies worker_processes = 2 again (TTIN/TTOU had set 1)");
            master.awaitWorkers(2);
        }
    }
}
