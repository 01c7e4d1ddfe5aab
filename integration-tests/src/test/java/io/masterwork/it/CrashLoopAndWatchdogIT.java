package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Issue "Crash-loop backoff and the hung-worker watchdog", with fault-injecting worker applications. */
class CrashLoopAndWatchdogIT {
    private static final Pattern RESPAWN_DELAY = Pattern.compile("respawning in (\\d+) ms");

    @Test
    void aCrashLoopingSlotIsRespawnedWithGrowingCappedDelays() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\n"
                + "worker_respawn_backoff = 100ms\nworker_respawn_backoff_max = 800ms\n"
                + "modules { worker = [\"io.masterwork.it.apps.CrashAtStartModule\"] }")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> delays(master.errorLog()).size() >= 6);
            List<Long> delays = delays(master.errorLog());
            assertThat(delays.subList(0, 6)).containsExactly(100L, 200L, 400L, 800L, 800L, 800L);
            assertThat(master.errorLog()).contains("exited with code 1").doesNotContain("fatal code 2");
            assertThat(master.isAlive()).isTrue();
            // The backoff is visible to an operator.
            String status = controlCommand(master, "status");
            assertThat(status).containsPattern("\"quick_crashes\":[1-9]");

        }
    }

    @Test
    void theCrashLimitStopsTheMasterWithANonZeroStatus() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 2\nworker_crash_limit = 3\n"
                + "worker_crash_window = 60s\nworker_respawn_backoff = 10ms\nworker_respawn_backoff_max = 10ms\n"
                + "modules { worker = [\"io.masterwork.it.apps.CrashAtStartModule\"] }")) {
            assertThat(master.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
            assertThat(master.errorLog()).contains("worker_crash_limit reached");
            assertThat(master.pidFile()).doesNotExist();
        }
    }

    @Test
    void anExternallyKilledWorkerIsReplacedAtOnceWithoutBackoff() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_respawn_backoff = 30s\nworker_respawn_backoff_max = 30s")) {
            List<Integer> before = master.awaitWorkers(2);
            RunningMaster.kill("KILL", before.get(0));
            await().atMost(Duration.ofSeconds(20)).until(() -> master.workers().size() == 2
                    && !master.workers().contains(before.get(0)));
            assertThat(master.errorLog()).doesNotContain("respawning in");
        }
    }

    @Test
    void aBlockedWorkerIsDumpedKilledAndReplaced() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_watchdog_timeout = 2s\n"
                + "modules { worker = [\"io.masterwork.it.apps.BlockingLoopModule\"] }")) {
            int hung = master.awaitWorkers(1).get(0);
            try (Socket s = new Socket("127.0.0.1", master.port)) {
                OutputStream out = s.getOutputStream();
                out.write("block\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        master.errorLog().contains("worker process " + hung + " has not answered a heartbeat"));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> master.errorLog().contains("worker process " + hung + " is still hung"));
            // The JVM's own thread dump, printed to the worker's stdout: the error log.
            assertThat(master.errorLog()).contains("Full thread dump").contains("blockForever");
            int replacement = await().atMost(Duration.ofSeconds(30)).until(() -> {
                List<Integer> now = master.workers();
                return now.size() == 1 && now.get(0) != hung ? now.get(0) : null;
            }, p -> p != null);
            assertThat(replacement).isNotEqualTo(hung);
            assertThat(ProcFs.exists(hung)).isFalse();
        }
    }

    private static List<Long> delays(String log) {
        List<Long> out = new ArrayList<>();
        Matcher m = RESPAWN_DELAY.matcher(log);
        while (m.find()) {
            out.add(Long.parseLong(m.group(1)));
        }
        return out;
    }

    /** One command on the master's control socket; the answer up to its blank line. */
    static String controlCommand(RunningMaster master, String command) throws Exception {
        var address = java.net.UnixDomainSocketAddress.of(master.prefix.resolve("logs/masterwork.sock"));
        try (var channel = java.nio.channels.SocketChannel.open(address)) {
            channel.write(java.nio.ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            StringBuilder answer = new StringBuilder();
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(65536);
            while (!answer.toString().endsWith("\n\n") && channel.read(buf) > 0) {
                buf.flip();
                answer.append(StandardCharsets.UTF_8.decode(buf));
                buf.clear();
            }
            return answer.toString();
        }
    }
}
