package io.masterwork.worker;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** worker_connections: beyond it, new connections are closed as soon as they are accepted. */
class WorkerConnectionsIT extends WorkerProcessTest {

    @Test
    void connectionsBeyondWorkerConnectionsAreClosedAtAccept() throws Exception {
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson("\"worker_connections\":2,\"access_log\":\"off\""));
        master.awaitReady(Duration.ofSeconds(60));
        try (HttpProbe first = new HttpProbe(master.address, 10_000);
             HttpProbe second = new HttpProbe(master.address, 10_000)) {
            first.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(first.read().status()).isEqualTo(200);
            second.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(second.read().status()).isEqualTo(200);
            try (HttpProbe third = new HttpProbe(master.address, 10_000)) {
                assertThat(third.in.read()).isEqualTo(-1);
            }
            assertThat(master.errorLogText()).contains("2 worker_connections are not enough");
        }
        // Once the two are gone, connections are served again.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(HttpProbe.get(master.address, "/").status()).isEqualTo(200));
    }
}
