package io.masterwork.worker;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Each {@code http { }} setting shown by its effect on a real worker, plus HTTP/1.0 and 1.1
 * connection handling. One worker serves every test of this class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerHttpIT {
    Path dir;
    MasterStandIn master;

    @BeforeAll
    void startWorker() throws IOException {
        dir = Files.createTempDirectory("masterwork-http-it");
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson(String.join(",",
                "\"body\":\"configured body \\u00e9\\n\"",
                "\"keepalive_requests\":2",
                "\"keepalive_timeout\":\"1s\"",
                "\"client_header_timeout\":\"1s\"",
                "\"client_max_header_size\":\"1k\"",
                "\"send_timeout\":\"1s\"",
                "\"max_bytes\":\"200m\"",
                "\"access_log\":\"off\"")));
        master.awaitReady(Duration.ofSeconds(60));
    }

    @AfterAll
    void stopWorker() throws IOException {
        master.close();
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private HttpProbe connect() throws IOException {
        return new HttpProbe(master.address, 10_000);
    }

    @Test
    void theBodyIsTheConfiguredOneByteForByte() throws Exception {
        HttpProbe.Response r = HttpProbe.get(master.address, "/some/path");
        assertThat(r.body()).isEqualTo("configured body \u00e9\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(r.header("content-length")).isEqualTo(String.valueOf(r.body().length));
    }

    @Test
    void keepaliveRequestsEndsTheConnectionAfterThatManyRequests() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("GET /1 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(c.read().header("connection")).isNull();
            c.send("GET /2 HTTP/1.1\r\nHost: t\r\n\r\n");
            HttpProbe.Response second = c.read();
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void keepaliveTimeoutClosesAnIdleConnection() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            // Nothing more is sent: the server ends the connection after keepalive_timeout (1s), within the 10s read bound.
            assertThat(c.in.read()).isEqualTo(-1);
        }
    }

    @Test
    void clientHeaderTimeoutEndsAConnectionWhoseHeaderNeverCompletes() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ");
            assertThat(readsToEndWithoutAResponse(c)).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> master.errorLogText().contains("client_header_timeout"));
    }

    @Test
    void clientHeaderTimeoutAlsoBoundsAConnectionThatSendsNothing() throws Exception {
        try (HttpProbe c = connect()) {
            assertThat(readsToEndWithoutAResponse(c)).isTrue();
        }
    }

    @Test
    void aHeaderLargerThanClientMaxHeaderSizeIsABadRequestAndCloses() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + "x".repeat(2000) + "\r\n\r\n");
            HttpProbe.Response r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
        try (HttpProbe c = connect()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Fits: " + "x".repeat(500) + "\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void aRequestLineLongerThanClientMaxHeaderSizeIs414() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(414);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void bytesStreamsExactlyNBytesAndMaxBytesBoundsN() throws Exception {
        HttpProbe.Response r = HttpProbe.get(master.address, "/_bytes/100000");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).hasSize(100000);
        for (int i = 0; i < r.body().length; i++) {
            if (r.body()[i] != (byte) ('a' + i % 26)) {
                throw new AssertionError("wrong byte at " + i);
            }
        }
        assertThat(HttpProbe.get(master.address, "/_bytes/0").body()).isEmpty();
        try (HttpProbe c = connect()) {
            c.send("HEAD /_bytes/" + 200L * 1024 * 1024 + " HTTP/1.1\r\nHost: t\r\n\r\n");
            HttpProbe.Response atMax = c.readHead();
            assertThat(atMax.status()).isEqualTo(200);
            assertThat(atMax.header("content-length")).isEqualTo(String.valueOf(200L * 1024 * 1024));
        }
        assertThat(HttpProbe.get(master.address, "/_bytes/" + (200L * 1024 * 1024 + 1)).status()).isEqualTo(400);
        assertThat(HttpProbe.get(master.address, "/_bytes/-1").status()).isEqualTo(400);
        assertThat(HttpProbe.get(master.address, "/_bytes/lots").status()).isEqualTo(400);
    }

    @Test
    void sendTimeoutEndsAResponseTheClientStopsTaking() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("GET /_bytes/" + 200L * 1024 * 1024 + " HTTP/1.1\r\nHost: t\r\n\r\n");
            // Never read: the socket buffers fill, the response stalls, send_timeout (1s) ends it.
            await().atMost(Duration.ofSeconds(15)).until(() -> master.errorLogText().contains("(send_timeout)"));
            long got = 0;
            byte[] buf = new byte[65536];
            try {
                int n;
                while ((n = c.in.read(buf)) > 0) {
                    got += n;
                }
            } catch (SocketException reset) {
                // Closed with bytes still unsent: the kernel may reset. Either way the response ended.
            }
            assertThat(got).isLessThan(200L * 1024 * 1024);
        }
    }

    /**
     * nginx's send_timeout is between two successive writes, not for the whole response: a client that keeps taking
     * a large answer at its own pace (4 MiB/s, with send_timeout 1 s; the whole takes ~4 s) gets all of it. (Slower still, the socket turns writable less often than once a second — the kernel wakes a writer only
     * when a third of its send buffer is free — and nginx would end it too.)
     */
    @Test
    void sendTimeoutSparesAClientThatKeepsTaking() throws Exception {
        long size = 16L * 1024 * 1024;
        try (HttpProbe c = connect()) {
            c.send("GET /_bytes/" + size + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            long got = 0;
            byte[] buf = new byte[1024 * 1024];
            int n;
            long started = System.nanoTime();
            while ((n = c.in.read(buf)) > 0) {
                got += n;
                long ahead = got * 1_000_000_000L / (4L * 1024 * 1024) - (System.nanoTime() - started);
                if (ahead > 0) {
                    Thread.sleep(ahead / 1_000_000); // no faster than 4 MiB/s
                }
            }
            assertThat(got).as("headers and the whole body").isGreaterThan(size);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("a download longer than send_timeout")
                    .isGreaterThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void http10KeepsAliveOnlyWhenAsked() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            HttpProbe.Response r = c.read();
            assertThat(r.header("connection")).isEqualToIgnoringCase("keep-alive");
            c.send("GET / HTTP/1.0\r\n\r\n");
            HttpProbe.Response second = c.read();
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            assertThat(c.read().header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void garbageIsABadRequestAndCloses() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("THIS IS NOT HTTP\r\n\r\n");
            HttpProbe.Response r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("GET /_bytes/3 HTTP/1.1\r\nHost: t\r\n\r\nGET /_worker HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(c.read().text()).isEqualTo("abc");
            assertThat(c.read().text()).startsWith("{\"pid\":" + master.pid);
        }
    }

    @Test
    void headHasTheHeadersButNoBody() throws Exception {
        try (HttpProbe c = connect()) {
            c.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\nGET /_bytes/2 HTTP/1.1\r\nHost: t\r\n\r\n");
            HttpProbe.Response head = c.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("19");
            assertThat(c.read().text()).isEqualTo("ab");
        }
    }

    /** Reads until the server closes; true when it closed without sending a single byte. */
    private static boolean readsToEndWithoutAResponse(HttpProbe c) throws IOException {
        return c.in.read() == -1;
    }
}
