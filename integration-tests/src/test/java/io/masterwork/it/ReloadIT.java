package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.KeepAliveLoad;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue "Reload and graceful drain", checked from outside. */
class ReloadIT {

    private static void rewriteConfig(RunningMaster master, String extra) throws Exception {
        Path conf = master.prefix().resolve("conf/masterwork.conf");
        Files.writeString(conf, "listen = \"127.0.0.1:" + master.port() + "\"\nworker_spares = 0\nworker_shutdown_timeout = 5s\n" + extra + "\n");
    }

    private static long count(String text, String needle) {
        return text.split(java.util.regex.Pattern.quote(needle), -1).length - 1L;
    }

    @Test
    void reloadChangesBodyWorkerCountAndGeneration() throws Exception {
        try (RunningMaster master = RunningMaster.start("http { body = \"one\\n\" }")) {
            List<Integer> old = master.awaitWorkers(2);
            assertThat(Http.get(master.port(), "/").text()).isEqualTo("one\n");
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");

            rewriteConfig(master, "worker_processes = 3\nhttp { body = \"two\\n\" }");
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(40)).until(() -> master.errorLog().contains("reload complete"));
            List<Integer> now = master.awaitWorkers(3);
            assertThat(now).doesNotContainAnyElementsOf(old);
            for (int i = 0; i < 10; i++) {
                assertThat(Http.get(master.port(), "/").text()).isEqualTo("two\n");
                assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":2");
            }
        }
    }

    @Test
    void aBrokenConfigurationKeepsTheOldWorkers() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> old = master.awaitWorkers(2);
            Files.writeString(master.prefix().resolve("conf/masterwork.conf"),
                    "listen = \"127.0.0.1:" + master.port() + "\"\nworker_procesess = 3\n");
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(20)).until(() -> master.errorLog().contains("reload failed"));
            assertThat(master.errorLog()).contains("masterwork.conf").contains("worker_procesess");
            assertThat(master.workers()).containsExactlyElementsOf(old);
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
        }
    }

    @Test
    void anUnbindableNewAddressFailsTheReload() throws Exception {
        try (RunningMaster master = RunningMaster.start("");
             ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            List<Integer> old = master.awaitWorkers(2);
            rewriteConfig(master, "listen = [\"127.0.0.1:" + master.port() + "\", \"127.0.0.1:" + taken.getLocalPort() + "\"]");
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(20)).until(() -> master.errorLog().contains("reload failed"));
            assertThat(master.errorLog()).contains("EADDRINUSE");
            assertThat(master.workers()).containsExactlyElementsOf(old);
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");
        }
    }

    @Test
    void aNewGenerationWhoseInitFailsIsRolledBack() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> old = master.awaitWorkers(2);
            rewriteConfig(master, "modules { worker = [\"io.masterwork.it.apps.FailingStartModule\"] }");
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(30)).until(() -> master.errorLog().contains("reload failed"));
            await().atMost(Duration.ofSeconds(10)).until(() -> master.workers().equals(old));
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");
            // The next good reload is generation 2: a rolled-back one does not count.
            rewriteConfig(master, "");
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(40)).until(() -> master.errorLog().contains("reload complete"));
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":2");
        }
    }

    /** README: "a reload rolls back when a new worker has not said READY within worker_ready_timeout". */
    @Test
    @TimingSensitive
    void aNewGenerationNotReadyWithinWorkerReadyTimeoutIsRolledBack() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> old = master.awaitWorkers(2);
            List<Integer> neverReady = reloadIntoWorkersThatNeverSayReady(master, old, "NeverReadyModule");
            // Nothing changed: the old generation serves, the never-ready workers got no slot of theirs.
            assertThat(master.workers()).containsAll(old);
            for (int i = 0; i < 4; i++) {
                assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");
            }
            // The master's table: one failed reload, generation 1 serving, the never-ready workers told to go.
            com.typesafe.config.Config status = com.typesafe.config.ConfigFactory.parseString(
                    CrashLoopAndWatchdogIT.controlCommand(master, "status"));
            assertThat(status.getInt("failed_reloads")).isEqualTo(1);
            assertThat(status.getInt("generation")).isEqualTo(1);
            for (com.typesafe.config.Config slot : status.getConfigList("workers")) {
                if (!slot.getIsNull("pid") && neverReady.contains(slot.getInt("pid"))) {
                    assertThat(slot.getString("state")).as("slot of never-ready worker %d", slot.getInt("pid")).isEqualTo("exiting");
                } else {
                    assertThat(slot.getInt("generation")).isEqualTo(1);
                }
            }
        }
    }

    /**
     * The rolled-back workers are told TERMINATE; they must be gone soon after (README: workers never outlive a
     * fast stop by more than a second). A worker whose application is still starting obeys it by itself.
     */
    @Test
    @TimingSensitive
    void theWorkersOfARolledBackGenerationAreGoneWithinASecondOrTwo() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> old = master.awaitWorkers(2);
            List<Integer> neverReady = reloadIntoWorkersThatNeverSayReady(master, old, "NeverReadyModule");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(neverReady).as("workers of the rolled-back"
                    + " generation still alive; the error log:%n%s", master.errorLog()).noneMatch(ProcFs::exists));
            assertThat(master.errorLog()).as("TERMINATE alone ends a worker whose application is still starting")
                    .doesNotContain("did not exit in time");
            assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(old);
        }
    }

    /** A rolled-back worker whose event loop is blocked cannot read TERMINATE: a second later it gets SIGKILL. */
    @Test
    @TimingSensitive
    void aRolledBackWorkerThatCannotHearTerminateIsKilledASecondLater() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_watchdog_timeout = off")) {
            List<Integer> old = master.awaitWorkers(2);
            List<Integer> hanging = reloadIntoWorkersThatNeverSayReady(master, old, "HangingStartModule");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(hanging).as("workers of the rolled-back"
                    + " generation still alive; the error log:%n%s", master.errorLog()).noneMatch(ProcFs::exists));
            for (int pid : hanging) {
                assertThat(master.errorLog()).contains("worker process " + pid + " did not exit in time; sending SIGKILL");
            }
            assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(old);
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
        }
    }

    /** A reload into an application that never finishes starting, worker_ready_timeout 2 s: refused after 2 s. */
    private static List<Integer> reloadIntoWorkersThatNeverSayReady(RunningMaster master, List<Integer> old, String module)
            throws Exception {
        // The watchdog off: what ends a rolled-back worker must not depend on it.
        rewriteConfig(master, "worker_ready_timeout = 2s\nworker_watchdog_timeout = off\n"
                + "modules { worker = [\"io.masterwork.it.apps." + module + "\"] }");
        long asked = System.nanoTime();
        String answer;
        try (io.masterwork.master.control.ControlClient client =
                     io.masterwork.master.control.ControlClient.connect(master.prefix().resolve("logs/masterwork.sock"))) {
            answer = client.ask("reload", Duration.ofSeconds(60));
        }
        long tookMillis = (System.nanoTime() - asked) / 1_000_000;
        assertThat(answer).contains("\"ok\":false").contains("\"generation\":1")
                .contains("the new workers were not ready within 2 s (worker_ready_timeout)");
        // Not before the timeout, and not long after it.
        assertThat(tookMillis).as("reload asked -> rolled back").isBetween(2_000L, 2_000L + 3_000L);
        assertThat(master.errorLog()).contains("reload failed, generation 1 goes on serving: the new workers were not ready");
        List<Integer> neverReady = startedWorkers(master.errorLog()).stream().filter(p -> !old.contains(p)).toList();
        assertThat(neverReady).hasSize(2);
        return neverReady;
    }

    private static List<Integer> startedWorkers(String log) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("start worker process (\\d+) \\(slot").matcher(log);
        List<Integer> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    @Test
    void aLongDownloadOnAnOldWorkerCompletesAcrossAReload() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 60s\nhttp { max_bytes = 100000000 }")) {
            master.awaitWorkers(2);
            int size = 20_000_000;
            try (Socket s = Http.smallWindowSocket(master.port(), 16 * 1024)) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write(("GET /_bytes/" + size + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                byte[] head = in.readNBytes(64);
                assertThat(new String(head, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
                rewriteConfig(master, "worker_shutdown_timeout = 60s\nhttp { max_bytes = 100000000 }");
                master.signal("HUP");
                await().atMost(Duration.ofSeconds(40)).until(() -> master.errorLog().contains("is quitting"));
                long total = head.length;
                byte[] buf = new byte[65536];
                int n;
                // Nothing was read while the reload ran: the old worker still had most of the body to send.
                while ((n = in.read(buf)) != -1) {
                    total += n;
                }
                assertThat(total).isGreaterThan(size);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> master.errorLog().contains("reload complete"));
        }
    }

    @Test
    void workerShutdownTimeoutCutsADownloadThatOutlivesIt() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 1s\nhttp { max_bytes = 1000000000 }")) {
            master.awaitWorkers(2);
            try (Socket s = Http.smallWindowSocket(master.port(), 8 * 1024)) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write("GET /_bytes/1000000000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                in.readNBytes(1024);
                Files.writeString(master.prefix().resolve("conf/masterwork.conf"), "listen = \"127.0.0.1:" + master.port()
                        + "\"\nworker_spares = 0\nworker_shutdown_timeout = 1s\nhttp { max_bytes = 1000000000 }\n");
                master.signal("HUP");
                long total = 0;
                byte[] buf = new byte[8192];
                int n;
                try {
                    // Read slowly: the download cannot finish within the timeout, so the old worker cuts it.
                    while ((n = in.read(buf)) != -1) {
                        total += n;
                        Thread.sleep(5);
                    }
                } catch (java.net.SocketException reset) {
                    // a cut may arrive as a reset too
                }
                assertThat(total).isLessThan(1_000_000_000L);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> master.errorLog().contains("reload complete"));
        }
    }

    @Test
    void aStopDuringAReloadStopsCleanly() throws Exception {
        for (String stop : new String[] {"QUIT", "TERM"}) {
            try (RunningMaster master = RunningMaster.start("")) {
                List<Integer> old = master.awaitWorkers(2);
                master.signal("HUP");
                await().atMost(Duration.ofSeconds(20)).until(() -> master.errorLog().contains("starting 2 worker processes (generation 2)"));
                List<Integer> all = master.workers();
                master.signal(stop);
                assertThat(master.awaitExit(Duration.ofSeconds(30))).as(stop).isZero();
                await().atMost(Duration.ofSeconds(5)).until(() -> all.stream().noneMatch(ProcFs::exists));
                assertThat(old).noneMatch(ProcFs::exists);
                assertThat(master.pidFile()).doesNotExist();
            }
        }
    }

    @Test
    @TimingSensitive
    void keepAliveLoadDuringEightReloadsLosesNoRequest() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            KeepAliveLoad load = new KeepAliveLoad(master.port(), 20);
            try {
                for (int i = 1; i <= 8; i++) {
                    // Each generation serves the load a while before the next reload; no assertion needs more.
                    Thread.sleep(500);
                    master.signal("HUP");
                    final int reloads = i;
                    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50))
                            .until(() -> count(master.errorLog(), "reload complete") >= reloads);
                }
                long okAfterReloads = load.ok.get();
                await().atMost(Duration.ofSeconds(10)).until(() -> load.ok.get() > okAfterReloads + 200);
            } finally {
                load.close();
            }
            assertThat(load.ok.get()).isGreaterThan(1000);
            assertThat(load.failures).as("failures by kind").isEmpty();
            assertThat(load.failed.get()).as("%s", load).isZero();
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":9");
        }
    }

}
