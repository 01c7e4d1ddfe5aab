package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue "The worker": a worker's life under a real master, checked from outside. */
class WorkerIT {

    @Test
    void workersDropToTheConfiguredUserAndStillServe() throws Exception {
        try (RunningMaster master = RunningMaster.start("user = \"nobody nogroup\"")) {
            List<Integer> workers = master.awaitWorkers(2);
            for (int w : workers) {
                assertThat(ProcFs.status("/proc/" + w, "Uid")).isEqualTo("65534\t65534\t65534\t65534");
                assertThat(ProcFs.status("/proc/" + w, "Gid")).isEqualTo("65534\t65534\t65534\t65534");
                assertThat(ProcFs.status("/proc/" + w, "Groups")).isEqualTo("65534");
            }
            assertThat(ProcFs.status("/proc/" + master.pid(), "Uid")).startsWith("0\t");
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
        }
    }

    @Test
    void rlimitsReadBackFromProc() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_rlimit_nofile = 4321\nworker_rlimit_core = 0")) {
            for (int w : master.awaitWorkers(2)) {
                String limits = ProcFs.read(w, "limits");
                assertThat(limits).containsPattern("Max open files\\s+4321\\s+4321");
                assertThat(limits).containsPattern("Max core file size\\s+0\\s+0");
            }
        }
    }

    @Test
    void quitLetsALongResponseFinishThenTheWorkerExits() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 60s\nhttp { max_bytes = 100000000 }")) {
            List<Integer> workers = master.awaitWorkers(2);
            int size = 10_000_000;
            try (Socket s = Http.smallWindowSocket(master.port(), 16 * 1024)) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write(("GET /_bytes/" + size + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                long total = in.readNBytes(4096).length;
                master.signal("QUIT");
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) != -1) {
                    total += n;
                }
                assertThat(total).isGreaterThan(size);
            }
            assertThat(master.awaitExit(Duration.ofSeconds(20))).isZero();
            workers.forEach(w -> assertThat(ProcFs.exists(w)).isFalse());
        }
    }

    @Test
    void killingTheMasterMakesEveryWorkerExitAndFreesThePort() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 3")) {
            List<Integer> workers = master.awaitWorkers(3);
            RunningMaster.kill("KILL", master.pid());
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                    .until(() -> workers.stream().noneMatch(ProcFs::exists));
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20)).until(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", master.port()), 500);
                    return false;
                } catch (ConnectException refused) {
                    return true;
                }
            });
        }
    }

    @Test
    void reopenAfterTheAccessLogWasMovedWritesANewFile() throws Exception {
        try (RunningMaster master = RunningMaster.start("http { access_log = logs/access.log }")) {
            master.awaitWorkers(2);
            var log = master.prefix().resolve("logs/access.log");
            Http.get(master.port(), "/before");
            await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readString(log).contains("/before"));
            Files.move(log, master.prefix().resolve("logs/access.log.1"));
            master.signal("USR1");
            await().atMost(Duration.ofSeconds(10)).until(() -> count(master.errorLog(), "reopen") >= 1);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (int i = 0; i < 4; i++) {
                    Http.get(master.port(), "/after");
                }
                assertThat(log).exists();
                assertThat(Files.readString(log)).contains("/after").doesNotContain("/before");
            });
            assertThat(Files.readString(master.prefix().resolve("logs/access.log.1"))).contains("/before");
        }
    }

    /**
     * A client that downloads as fast as it can must not hold up the worker's own event loop: heartbeats, commands
     * and other clients are served meanwhile (nginx bounds one connection's turn with sendfile_max_chunk).
     */
    @Test
    @TimingSensitive
    void aFastDownloadDoesNotStopTheWorkerAnsweringItsMaster() throws Exception {
        long size = 500_000_000L;
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_watchdog_timeout = 2s\n"
                + "http { max_bytes = 1g, access_log = off }")) {
            int worker = master.awaitWorkers(1).get(0);
            // One request first: the first answer's cost (class loading on both sides) is not the download's doing.
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
            Thread reader = new Thread(() -> {
                try (Socket s = new Socket("127.0.0.1", master.port())) {
                    s.setSoTimeout(20_000);
                    s.getOutputStream().write(("GET /_bytes/" + size + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[1 << 20];
                    int n;
                    while ((n = in.read(buf)) != -1) {
                        received.addAndGet(n);
                    }
                } catch (java.io.IOException e) {
                    // counted below
                }
            }, "fast-reader");
            reader.start();
            // While the download runs, another client is answered at once, each time: the download goes out in bursts
            // between the loop's polls (RequestHandler.ByteStreamWriter); queued as tasks it held the loop up to Netty's
            // one-second task quantum (1.4-1.8 s seen on a loaded machine).
            while (reader.isAlive()) {
                long t0 = System.nanoTime();
                assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("a request during the download, after %d bytes",
                        received.get()).isLessThan(Duration.ofMillis(500));
                Thread.sleep(200);
            }
            reader.join();
            assertThat(received.get()).as("the whole download").isGreaterThan(size);
            assertThat(master.errorLog()).doesNotContain("has not answered a heartbeat");
            assertThat(master.workers()).containsExactly(worker);
        }
    }

    /** When a channel write fails the master signals instead: TERM for QUIT, USR1 for REOPEN (WorkerCommands). */
    @Test
    void aWorkerObeysTheMastersFallbackSignals() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> workers = master.awaitWorkers(2);
            int w = workers.get(0);
            RunningMaster.kill("USR1", w);
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().contains(w + "#loop: signal SIGUSR1 received"));
            RunningMaster.kill("TERM", w);
            await().atMost(Duration.ofSeconds(20)).until(() -> master.errorLog().contains("worker process " + w + " exited with code 0"));
            assertThat(master.errorLog()).contains(w + "#loop: gracefully shutting down");
            assertThat(master.awaitWorkers(2)).doesNotContain(w);
        }
    }

    private static long count(String text, String needle) {
        return text.split(java.util.regex.Pattern.quote(needle), -1).length - 1L;
    }

}
