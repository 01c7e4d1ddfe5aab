package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RawClient;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.WsClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * Issue 23, points 4 and 5: one client cannot exhaust a worker's memory. Each scenario runs against one real worker
 * (worker_processes = 1, so every connection lands on it), samples its VmRSS from /proc/&lt;pid&gt;/status every
 * 250 ms, and checks that the worker stays the same process, answers another client throughout, and that its
 * resident set grows by less than {@link #RSS_GROWTH_BOUND_KIB} over the level measured after a warm-up that loaded
 * the classes involved. Without the defences, each of these grew the worker by hundreds of MiB or killed it.
 */
class WorkerMemoryIT {
    /** 32 MiB: the bound asserted on VmRSS growth (measured: 1-3 MiB) (the heap alone may take 256 MiB: -Xmx256m). */
    static final long RSS_GROWTH_BOUND_KIB = 32 * 1024;
    private static final int FRAME = 64 * 1024;

    @Test
    @TimingSensitive
    void aWebSocketClientThatSends64KiBFramesFor30SecondsWithoutReadingCannotGrowTheWorker() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\n")) {
            int worker = master.awaitWorkers(1).get(0);
            warmUp(master.port());
            long baseline = rssKib(worker);
            byte[] frame = RawClient.frame(2, false, randomBytes(FRAME));
            long sent = 0;
            long peak = baseline;
            try (RawClient flood = new RawClient(master.port())) {
                assertThat(flood.upgrade(null)).startsWith("HTTP/1.1 101");
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                long nextCheck = 0;
                ByteBuffer pending = ByteBuffer.wrap(frame);
                while (System.nanoTime() < end) {
                    int n = flood.offer(pending);
                    assertThat(n).as("the worker closed the flooding WebSocket").isNotNegative();
                    sent += n;
                    if (!pending.hasRemaining()) {
                        pending = ByteBuffer.wrap(frame);
                    }
                    if (n == 0 || System.nanoTime() > nextCheck) {
                        if (System.nanoTime() > nextCheck) {
                            peak = Math.max(peak, rssKib(worker));
                            // Another client is served meanwhile, promptly.
                            assertThat(Http.get(master.port(), "/while-flooded").status()).isEqualTo(200);
                            nextCheck = System.nanoTime() + Duration.ofMillis(250).toNanos();
                        }
                        Thread.sleep(n == 0 ? 5 : 0);
                    }
                }
                peak = Math.max(peak, rssKib(worker));
                System.out.printf("WebSocket flood: %d MiB offered in 30 s, the worker took them as it could echo;"
                        + " VmRSS %d -> peak %d KiB (+%d KiB)%n", sent >> 20, baseline, peak, peak - baseline);
            }
            assertThat(master.workers()).containsExactly(worker);
            assertThat(peak - baseline).as("VmRSS growth in KiB").isLessThan(RSS_GROWTH_BOUND_KIB);
            assertThat(Http.get(master.port(), "/after").status()).isEqualTo(200);
        }
    }

    /** 32 MiB of zeros deflate to ~32 KiB: one frame within the frame limit that would inflate to 32 MiB. */
    @Test
    void aDeflateBombIsClosedWith1009() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\n")) {
            int worker = master.awaitWorkers(1).get(0);
            byte[] bomb = deflated(new byte[32 << 20]);
            assertThat(bomb.length).isLessThan(FRAME);
            try (RawClient client = new RawClient(master.port())) {
                assertThat(client.upgrade("permessage-deflate")).startsWith("HTTP/1.1 101")
                        .contains("permessage-deflate");
                client.writeFully(RawClient.frame(2, true, bomb), 10_000);
                WsClient.Frame answer = client.readFrame(15_000);
                assertThat(answer.opcode()).as("a close frame, not an echo").isEqualTo(WsClient.CLOSE);
                assertThat(((answer.payload()[0] & 0xFF) << 8) | (answer.payload()[1] & 0xFF)).isEqualTo(1009);
            }
            assertThat(master.workers()).containsExactly(worker);
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            assertThat(master.errorLog()).contains("closed with 1009");
        }
    }

    @Test
    void anIdleWebSocketIsClosedAfterWebsocketReadTimeout() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nhttp { websocket_read_timeout = 2s }\n")) {
            master.awaitWorkers(1);
            try (RawClient client = new RawClient(master.port())) {
                assertThat(client.upgrade(null)).startsWith("HTTP/1.1 101");
                long start = System.nanoTime();
                WsClient.Frame close = client.readFrame(15_000);
                long waited = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertThat(close.opcode()).isEqualTo(WsClient.CLOSE);
                assertThat(((close.payload()[0] & 0xFF) << 8) | (close.payload()[1] & 0xFF)).isEqualTo(1000);
                assertThat(waited).isBetween(1_500L, 10_000L);
            }
        }
    }

    /**
     * Bodies the application ignores: 200 connections each send 999,000 bytes of a 1,000,000-byte body and stop.
     * Gathered, that is ~200 MB against a 128 MiB heap; dropped as they stream, nothing.
     */
    @Test
    @TimingSensitive
    void requestBodiesTheApplicationIgnoresAreNotGathered() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_jvm_options = [\"-Xmx128m\"]\n")) {
            int worker = master.awaitWorkers(1).get(0);
            warmUp(master.port());
            long baseline = rssKib(worker);
            long peak = baseline;
            byte[] chunk = randomBytes(999_000);
            List<RawClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    RawClient c = new RawClient(master.port());
                    clients.add(c);
                    c.writeFully(("POST /upload-" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII), 10_000);
                    c.writeFully(chunk, 30_000);
                    if (i % 20 == 0) {
                        peak = Math.max(peak, rssKib(worker));
                    }
                }
                Thread.sleep(1_000);
                peak = Math.max(peak, rssKib(worker));
                assertThat(Http.get(master.port(), "/meanwhile").status()).isEqualTo(200);
            } finally {
                for (RawClient c : clients) {
                    c.close();
                }
            }
            System.out.printf("200 unfinished 1 MB bodies: VmRSS %d -> peak %d KiB (+%d KiB)%n", baseline, peak, peak - baseline);
            assertThat(master.workers()).containsExactly(worker);
            assertThat(peak - baseline).as("VmRSS growth in KiB").isLessThan(RSS_GROWTH_BOUND_KIB);
        }
    }

    /**
     * Pipelined requests from a client that reads no answer: each answer is 64 KiB (http.body), so whatever the
     * worker queues for this client is visible. It stops reading once the client stops taking answers.
     */
    @Test
    @TimingSensitive
    void aClientThatPipelinesWithoutReadingCannotQueueAnswersWithoutBound() throws Exception {
        String body = "x".repeat(FRAME);
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nhttp { body = \"" + body + "\" }\n")) {
            int worker = master.awaitWorkers(1).get(0);
            warmUp(master.port());
            long baseline = rssKib(worker);
            long peak = baseline;
            byte[] requests = "GET /p HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            long sent = 0;
            try (RawClient client = new RawClient(master.port())) {
                long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                long nextSample = 0;
                ByteBuffer pending = ByteBuffer.wrap(requests);
                while (System.nanoTime() < end) {
                    int n = client.offer(pending);
                    assertThat(n).as("the worker closed the pipelining client").isNotNegative();
                    sent += n;
                    if (!pending.hasRemaining()) {
                        pending = ByteBuffer.wrap(requests);
                    }
                    if (System.nanoTime() > nextSample) {
                        peak = Math.max(peak, rssKib(worker));
                        nextSample = System.nanoTime() + Duration.ofMillis(250).toNanos();
                    }
                    if (n == 0) {
                        Thread.sleep(5);
                    }
                }
                peak = Math.max(peak, rssKib(worker));
                assertThat(Http.get(master.port(), "/meanwhile").status()).isEqualTo(200);
            }
            System.out.printf("pipelining without reading: %d requests sent; VmRSS %d -> peak %d KiB (+%d KiB)%n",
                    sent / 29, baseline, peak, peak - baseline);
            assertThat(master.workers()).containsExactly(worker);
            assertThat(peak - baseline).as("VmRSS growth in KiB").isLessThan(RSS_GROWTH_BOUND_KIB);
        }
    }

    /** Loads the classes of every path the scenarios take (HTTP, a body, WebSocket echo), so growth is theirs. */
    private static void warmUp(int port) throws Exception {
        for (int i = 0; i < 50; i++) {
            assertThat(Http.get(port, "/warm").status()).isEqualTo(200);
            assertThat(Http.post(port, "/warm").status()).isEqualTo(200);
        }
        try (RawClient ws = new RawClient(port)) {
            assertThat(ws.upgrade(null)).startsWith("HTTP/1.1 101");
            for (int i = 0; i < 20; i++) {
                ws.writeFully(RawClient.frame(2, false, randomBytes(FRAME)), 10_000);
                assertThat(ws.readFrame(10_000).payload()).hasSize(FRAME);
            }
        }
        Thread.sleep(500);
    }

    private static long rssKib(int pid) {
        String rss = ProcFs.status("/proc/" + pid, "VmRSS");
        assertThat(rss).as("VmRSS of worker %d (is it alive?)", pid).isNotNull();
        return Long.parseLong(rss.replace("kB", "").trim());
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** permessage-deflate's payload: raw deflate, sync-flushed, without the trailing 00 00 ff ff (RFC 7692). */
    private static byte[] deflated(byte[] data) throws IOException {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        deflater.setInput(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        int n;
        while ((n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH)) > 0) {
            out.write(buffer, 0, n);
            if (n < buffer.length && deflater.needsInput()) {
                break;
            }
        }
        deflater.end();
        byte[] all = out.toByteArray();
        int length = all.length;
        if (length >= 4 && all[length - 4] == 0 && all[length - 3] == 0 && (all[length - 2] & 0xFF) == 0xFF
                && (all[length - 1] & 0xFF) == 0xFF) {
            length -= 4;
        }
        return java.util.Arrays.copyOf(all, length);
    }
}
