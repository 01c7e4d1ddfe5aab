package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.KeepAliveLoad;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, "Fault injection through the Guice wiring": real masters and workers whose native calls fail on
 * demand ({@code io.masterwork.testkit.faults.FaultInjectingPosix}, armed by writing {@code <prefix>/faults/master}).
 * Only the errno is artificial; what the master does about it is the real code. docs/RELIABILITY.md has the figures.
 */
class FaultInjectionIT {
    static final String MASTER_FAULTS = "modules { master = [\"io.masterwork.testkit.faults.FaultInjectionModule\"] }\n";
    private static final Pattern RETRY = Pattern.compile("could not spawn a worker into slot \\d+: (\\S+): (\\w+) .*; retrying in (\\d+) ms");

    @Test
    void aCommandThatCannotBeWrittenToTheChannelReachesTheWorkerAsItsSignal() throws Exception {
        try (RunningMaster master = RunningMaster.start(MASTER_FAULTS + "http { max_bytes = 100000000 }")) {
            List<Integer> workers = master.awaitWorkers(2);

            // REOPEN with every channel full: each worker gets SIGUSR1 and reopens its logs all the same.
            arm(master, "sendmsg.nofd:EAGAIN");
            master.signal("USR1");
            for (int w : workers) {
                await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().contains(
                        "REOPEN to worker process " + w + " not sent over the channel (its channel is full (EAGAIN)); sending SIGUSR1 instead"));
                await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().contains(" " + w + "#loop: logs reopened"));
            }

            // QUIT with every channel broken (EPIPE), while a long download is in flight: SIGTERM drains gracefully.
            arm(master, "sendmsg:EPIPE");
            int size = 20_000_000;
            try (Socket s = Http.smallWindowSocket(master.port(), 16 * 1024)) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write(("GET /_bytes/" + size + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                byte[] head = in.readNBytes(64);
                assertThat(new String(head, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
                master.signal("QUIT");
                for (int w : workers) {
                    await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().matches(
                            "(?s).*QUIT to worker process " + w + " not sent over the channel \\(.*sendmsg: EPIPE.*\\); sending SIGTERM instead.*"));
                }
                long total = head.length;
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) != -1) {
                    total += n;
                }
                assertThat(total).as("the download in flight when QUIT came").isGreaterThan(size);
            }
            assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
            for (int w : workers) {
                assertThat(master.errorLog()).contains("worker process " + w + " exited with code 0");
            }
            assertThat(master.errorLog()).contains("injected fault: sendmsg: EPIPE").doesNotContain("SIGKILL");
        }
    }

    @Test
    void aWorkerThatNeitherChannelNorSignalReachesIsKilledAtTheShutdownDeadline() throws Exception {
        try (RunningMaster master = RunningMaster.start(MASTER_FAULTS + "worker_processes = 1\nworker_shutdown_timeout = 1s")) {
            int worker = master.awaitWorkers(1).get(0);
            arm(master, "sendmsg:EPIPE\nkill.TERM:ESRCH");
            long quitAt = System.nanoTime();
            master.signal("QUIT");
            assertThat(master.awaitExit(Duration.ofSeconds(20))).isZero();
            long millis = (System.nanoTime() - quitAt) / 1_000_000;
            String log = master.errorLog();
            assertThat(log).contains("kill(" + worker + ", SIGTERM) failed: kill: ESRCH")
                    .contains("worker process " + worker + " did not exit in time; sending SIGKILL")
                    .contains("worker process " + worker + " killed by signal");
            // worker_shutdown_timeout (1 s) + the master's 3 s slack, then SIGKILL: bounded, not a hang.
            assertThat(millis).isBetween(3_500L, 15_000L);
            assertThat(ProcFs.exists(worker)).isFalse();
        }
    }

    @Test
    @TimingSensitive
    void failedSpawnsAreRetriedWithBackoffWhileTheOtherWorkerServesAndLeakNothing() throws Exception {
        try (RunningMaster master = RunningMaster.start(MASTER_FAULTS + "worker_respawn_backoff = 100ms\n")) {
            List<Integer> workers = master.awaitWorkers(2);
            int fdsBefore = ProcFs.settledFdCount(master.pid());
            String spacing;
            KeepAliveLoad load = new KeepAliveLoad(master.port(), 4);
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> load.ok.get() > 200);

                // A SIGKILL is respawned at once; the three failed attempts back off 100, 200 and 400 ms.
                arm(master, "posix_spawn:EAGAIN:count=3");
                Respawn first = killAndAwaitRefill(master, workers.get(0));
                List<Integer> second = first.workers;
                List<String[]> retries = retries(master.errorLog());
                assertThat(retries).hasSize(3);
                assertThat(retries).allSatisfy(r -> assertThat(r[0] + " " + r[1]).isEqualTo("posix_spawn EAGAIN"));
                assertThat(retries.stream().map(r -> r[2]).toList()).containsExactly("100", "200", "400");
                first.assertSpacing(100 + 200 + 400);

                // Failures half-way through a spawn: the inbox socketpair, then the configuration memfd (100, 200 ms).
                arm(master, "socketpair:EMFILE:nth=2\nmemfd_create:ENOMEM:once");
                int killed = second.get(0).equals(workers.get(1)) ? second.get(1) : second.get(0);
                Respawn again = killAndAwaitRefill(master, killed);
                List<String[]> more = retries(master.errorLog()).subList(3, 5);
                assertThat(more.get(0)).startsWith("socketpair", "EMFILE");
                assertThat(more.get(1)).startsWith("memfd_create", "ENOMEM");
                assertThat(more.stream().map(r -> r[2]).toList()).containsExactly("100", "200");
                again.assertSpacing(100 + 200);
                spacing = "kill -> replacement started " + first.spacing() + " (delays 100+200+400 ms), then "
                        + again.spacing() + " (delays 100+200 ms)";
                long okBefore = load.ok.get();
                await().atMost(Duration.ofSeconds(10)).until(() -> load.ok.get() > okBefore + 200);
            } finally {
                load.close();
            }
            Figures.record("failed spawns under keep-alive load", "5 spawn failures injected (posix_spawn EAGAIN x3, "
                    + "socketpair EMFILE, memfd_create ENOMEM), 2 workers SIGKILLed; " + spacing + "; " + load.ok.get()
                    + " requests ok, " + load.failed.get() + " failed " + load.failures + "; master fds " + fdsBefore + " before");
            // The listener lives in the master: a dead slot never turns a connect away.
            assertThat(load.failuresOf(KeepAliveLoad.CONNECT)).as("connects refused or timed out: %s", load).isZero();
            // Only the requests in flight on the two killed workers can be lost: one per connection at most.
            assertThat(load.failed.get()).as("%s", load).isLessThanOrEqualTo(2L * load.connections());
            assertThat(master.isAlive()).isTrue();
            // Every descriptor a failed spawn opened was closed: the master holds what it held before.
            await().atMost(Duration.ofSeconds(5)).until(() -> ProcFs.settledFdCount(master.pid()) == fdsBefore);
        }
    }

    /** A SIGKILLed worker and its replacement, timed on /proc's clock (ms since boot). */
    private record Respawn(long killedAtMillis, long seenGoneAtMillis, long replacementStartMillis, List<Integer> workers) {
        /**
         * The replacement started at least {@code delays} ms after the kill (the kill precedes the death), and at
         * most {@code delays} + the master's latency after the death was seen; /proc's ticks are 10 ms.
         */
        void assertSpacing(long delays) {
            assertThat(replacementStartMillis - killedAtMillis).as("kill -> replacement started: %s", spacing())
                    .isGreaterThan(delays - CrashLoopAndWatchdogIT.PROC_TICK_MILLIS);
            assertThat(replacementStartMillis - seenGoneAtMillis).as("death seen -> replacement started: %s", spacing())
                    .isLessThanOrEqualTo(delays + CrashLoopAndWatchdogIT.MASTER_LATENCY_MILLIS);
        }

        String spacing() {
            return (replacementStartMillis - seenGoneAtMillis) + ".." + (replacementStartMillis - killedAtMillis) + " ms";
        }
    }

    private static Respawn killAndAwaitRefill(RunningMaster master, int victim) {
        long killedAt = ProcFs.uptimeMillis();
        RunningMaster.kill("KILL", victim);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(() -> !ProcFs.exists(victim));
        long seenGone = ProcFs.uptimeMillis();
        List<Integer> now = awaitRefilled(master, victim);
        int replacement = now.stream().filter(p -> ProcFs.startMillis(p) >= killedAt - CrashLoopAndWatchdogIT.PROC_TICK_MILLIS)
                .findFirst().orElseThrow(() -> new AssertionError("no worker started after the kill: " + now));
        return new Respawn(killedAt, seenGone, ProcFs.startMillis(replacement), now);
    }

    @Test
    void aLostOpenChannelWedgesNothing() throws Exception {
        try (RunningMaster master = RunningMaster.start(MASTER_FAULTS)) {
            List<Integer> workers = master.awaitWorkers(2);
            arm(master, "sendmsg.fd:EPIPE:once");
            RunningMaster.kill("KILL", workers.get(0));
            List<Integer> now = awaitRefilled(master, workers.get(0));
            int survivor = workers.get(1);
            int born = now.get(0) == survivor ? now.get(1) : now.get(0);
            assertThat(master.errorLog()).contains("OPEN_CHANNEL to worker process " + survivor + " (slot");

            // The survivor never heard of the new worker; the new worker knows the survivor. Both answer,
            // and a question across the missing inbox is answered within its bound instead of hanging.
            String survivorView = getUntil(master, "/_worker", a -> a.startsWith("{\"pid\":" + survivor + ","));
            String bornView = getUntil(master, "/_worker", a -> a.startsWith("{\"pid\":" + born + ","));
            assertThat(survivorView).contains("\"siblings\":[]");
            assertThat(bornView).contains("\"pid\":" + survivor);
            long askedAt = System.nanoTime();
            String bornCounts = getUntil(master, "/_siblings/requests", a -> a.contains("\"error\""));
            assertThat(bornCounts).contains("\"pid\":" + born + ",\"requests\"")
                    .contains("\"pid\":" + survivor + ",\"error\":\"no answer within 1000 ms\"");
            String survivorCounts = getUntil(master, "/_siblings/requests", a -> !a.contains("\"pid\":" + born));
            assertThat(survivorCounts).contains("\"pid\":" + survivor + ",\"requests\"").doesNotContain("\"error\"");
            assertThat(Duration.ofNanos(System.nanoTime() - askedAt)).isLessThan(Duration.ofSeconds(20));

            // A reload builds a fresh generation whose workers all know each other.
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(60)).until(() -> master.errorLog().contains("reload complete"));
            List<Integer> fresh = master.awaitWorkers(2);
            for (int i = 0; i < 8; i++) {
                String json = Http.get(master.port(), "/_siblings/requests").text();
                assertThat(json).doesNotContain("\"error\"").contains("\"pid\":" + fresh.get(0) + ",\"requests\"")
                        .contains("\"pid\":" + fresh.get(1) + ",\"requests\"");
            }
        }
    }

    @Test
    void aWorkerWhoseReadyCannotBeWrittenRetriesUntilItIs(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path workerFaults = dir.resolve("worker-faults");
        Files.writeString(workerFaults, "sendmsg:EAGAIN:count=25\n");
        dir.toFile().setReadable(true, false);
        dir.toFile().setExecutable(true, false);
        workerFaults.toFile().setReadable(true, false);
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_jvm_options = ["
                + "\"-Dmasterwork.worker.posix=io.masterwork.testkit.faults.FaultInjectingPosix$InWorker\", "
                + "\"-Dmasterwork.faults.file=" + workerFaults + "\"]")) {
            int worker = master.awaitWorkers(1).get(0);
            String log = master.errorLog();
            assertThat(log).contains(worker + "#loop: injected fault: sendmsg: EAGAIN (\"sendmsg:EAGAIN:count=25\", 25 so far)");
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
        }
    }

    /** Arms the master's faults (replacing the previous ones): the next matching call fails. */
    static void arm(RunningMaster master, String faults) throws IOException, InterruptedException {
        Path dir = master.prefix().resolve("faults");
        Files.createDirectories(dir);
        Path tmp = dir.resolve("master.tmp");
        Files.writeString(tmp, faults + "\n");
        Files.move(tmp, dir.resolve("master"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Thread.sleep(60); // past FaultInjectingPosix's re-check interval
    }

    private static List<Integer> awaitRefilled(RunningMaster master, int killed) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> !master.workers().contains(killed) && master.workers().size() == 2
                        && master.workers().stream().allMatch(p -> master.errorLog().contains("worker process " + p + " (slot")));
        return master.awaitWorkers(2);
    }

    private static List<String[]> retries(String log) {
        Matcher m = RETRY.matcher(log);
        List<String[]> all = new java.util.ArrayList<>();
        while (m.find()) {
            all.add(new String[] {m.group(1), m.group(2), m.group(3)});
        }
        return all;
    }

    /** GETs {@code path} on fresh connections (each lands on whichever worker accepts it) until an answer is wanted. */
    static String getUntil(RunningMaster master, String path, java.util.function.Predicate<String> wanted) {
        String[] found = new String[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> {
            Http.Response r = Http.get(master.port(), path);
            assertThat(r.status()).isEqualTo(200);
            found[0] = r.text();
            return wanted.test(found[0]);
        });
        return found[0];
    }
}
