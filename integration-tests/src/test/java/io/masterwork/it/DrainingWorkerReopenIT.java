package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** USR1 after logrotate reaches draining workers too (nginx sends REOPEN to exiting workers): they still log. */
class DrainingWorkerReopenIT {

    @Test
    void aWorkerDrainingAfterAReloadWritesItsLastAccessLogLineToTheReopenedFile() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 60s\nconnection_handover = off\n"
                + "http { max_bytes = 100000000 }")) {
            List<Integer> old = master.awaitWorkers(2);
            int size = 20_000_000;
            try (Socket s = Http.smallWindowSocket(master.port(), 16 * 1024)) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write(("GET /_bytes/" + size + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                byte[] head = in.readNBytes(64);
                assertThat(new String(head, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");

                master.signal("HUP");
                await().atMost(Duration.ofSeconds(40)).until(() -> master.errorLog().contains("is quitting"));
                // The old worker that has nothing in flight is gone soon; the one sending the download drains.
                await().atMost(Duration.ofSeconds(20)).until(() -> old.stream().filter(ProcFs::exists).count() == 1);
                int draining = old.stream().filter(ProcFs::exists).findFirst().orElseThrow();

                Path log = master.prefix().resolve("logs/access.log");
                Path rotated = master.prefix().resolve("logs/access.log.1");
                Files.move(log, rotated);
                master.signal("USR1");
                await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().contains(draining + "#loop: logs reopened"));

                long total = head.length;
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) != -1) {
                    total += n;
                }
                assertThat(total).isGreaterThan(size);
                String line = "\"GET /_bytes/" + size + " HTTP/1.1\" 200";
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && Files.readString(log).contains(line));
                assertThat(Files.readString(rotated)).doesNotContain(line);
            }
        }
    }
}
