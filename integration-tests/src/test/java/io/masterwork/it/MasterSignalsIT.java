package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's signal table where no other test went: {@code -s reload} without a control socket, WINCH with no
 * USR2 before it, HUP after it, INT, and TERM's SIGKILL a second later for a worker that cannot obey. Each master
 * is started with {@code setsid}, as a daemon or a service runs: without a controlling terminal (a foreground
 * master on a terminal ignores WINCH outside an upgrade: a terminal resize sends it too).
 */
class MasterSignalsIT {

    private static RunningMaster startWithoutTerminal(String config) throws Exception {
        return RunningMaster.start(config, Map.of(), RunningMaster.freePort(), List.of("setsid"));
    }

    private static long count(String text, String needle) {
        return text.split(java.util.regex.Pattern.quote(needle), -1).length - 1L;
    }

    /** One master through -s reload (HUP: no control socket), WINCH, HUP again, then INT with a download in flight. */
    @Test
    void reloadWithoutAControlSocketWinchHupAndInt() throws Exception {
        try (RunningMaster master = startWithoutTerminal("control_socket = off\nhttp { max_bytes = 100000000 }")) {
            List<Integer> first = master.awaitWorkers(2);

            // -s reload: with control_socket = off, the command sends HUP, as nginx's does.
            RunningMaster.CommandResult reload = master.command("-s", "reload");
            assertThat(reload.exit()).as(reload.output()).isZero();
            assertThat(reload.output()).contains("sent SIGHUP (reload) to master " + master.pid());
            assertThat(master.prefix().resolve("logs/masterwork.sock")).doesNotExist();
            await().atMost(Duration.ofSeconds(60)).until(() -> master.errorLog().contains("reload complete"));
            assertThat(master.errorLog()).contains("signal 1 (SIGHUP) received from");
            List<Integer> second = master.awaitWorkers(2);
            assertThat(second).doesNotContainAnyElementsOf(first);
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":2");

            // WINCH, no upgrade under way, no terminal: the workers quit gracefully and are not replaced.
            master.signal("WINCH");
            await().atMost(Duration.ofSeconds(20)).until(() -> second.stream().noneMatch(ProcFs::exists));
            String log = master.errorLog();
            assertThat(log).contains("gracefully shutting down the worker processes (WINCH)");
            second.forEach(w -> assertThat(log).contains("worker process " + w + " exited with code 0"));
            // A respawn would be logged as the master reaps them; a USR1 handled after that proves none came.
            master.signal("USR1");
            await().atMost(Duration.ofSeconds(10)).until(() -> count(master.errorLog(), "logs reopened") >= 1
                    && master.errorLog().contains("signal 10 (SIGUSR1)"));
            String afterWinch = master.errorLog().substring(log.indexOf("(WINCH)"));
            assertThat(afterWinch).doesNotContain("start worker process");
            assertThat(master.isAlive()).isTrue();
            assertThat(master.workers()).isEmpty();

            // HUP after WINCH: the workers come back with this master's configuration, same generation.
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog()
                    .contains("starting the workers again with this master's configuration (generation 2)"));
            List<Integer> third = master.awaitWorkers(2);
            assertThat(third).doesNotContainAnyElementsOf(second);
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":2");

            // INT: fast stop. A download in flight is cut (QUIT would let it finish), the master exits 0.
            int size = 100_000_000;
            try (Socket s = Http.smallWindowSocket(master.port(), 16 * 1024)) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write(("GET /_bytes/" + size + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                long total = in.readNBytes(64 * 1024).length;
                long intAt = System.nanoTime();
                master.signal("INT");
                byte[] buf = new byte[8192];
                int n;
                try {
                    // A client that reads at its own pace (a fast one holds the worker's event loop: see WorkerIT).
                    while ((n = in.read(buf)) != -1) {
                        total += n;
                        Thread.sleep(2);
                    }
                } catch (java.net.SocketException reset) {
                    // a cut may come as a reset
                }
                assertThat(total).as("bytes of the download in flight").isLessThan(size);
                assertThat(master.awaitExit(Duration.ofSeconds(10))).isZero();
                assertThat(Duration.ofNanos(System.nanoTime() - intAt)).isLessThan(Duration.ofSeconds(10));
            }
            third.forEach(w -> assertThat(ProcFs.exists(w)).isFalse());
            assertThat(master.pidFile()).doesNotExist();
            assertThat(master.errorLog()).contains("signal 2 (SIGINT)").contains("exiting").doesNotContain("SIGKILL");
        }
    }

    /** On a terminal a resize sends WINCH too: with no upgrade under way, a master that has one ignores it. */
    @Test
    void winchWithoutAnUpgradeIsIgnoredByAMasterOnATerminal() throws Exception {
        try (RunningMaster master = RunningMaster.startOnATerminal("worker_processes = 1")) {
            List<Integer> workers = master.awaitWorkers(1);
            assertThat(ProcFs.read(master.pid(), "stat").split("\\) ")[1].split(" ")[4]).as("tty_nr of the master")
                    .isNotEqualTo("0");
            master.signal("WINCH");
            // Logged as the master handles the signal: the workers' fate is decided by then.
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog()
                    .contains("WINCH ignored: no upgrade is in progress and this master has a controlling terminal"));
            assertThat(master.errorLog()).doesNotContain("gracefully shutting down the worker processes (WINCH)");
            assertThat(master.workers()).containsExactlyElementsOf(workers);
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
        }
    }

    /** TERM: TERMINATE to every worker; one whose event loop is stuck cannot read it and is killed a second later. */
    @Test
    @TimingSensitive
    void termKillsAWorkerThatIsStillAliveASecondLater() throws Exception {
        try (RunningMaster master = startWithoutTerminal(
                "modules { worker = [\"io.masterwork.it.apps.BlockingLoopModule\"] }")) {
            List<Integer> workers = master.awaitWorkers(2);
            try (Socket blocker = new Socket("127.0.0.1", master.port())) {
                blocker.getOutputStream().write("block\n".getBytes(StandardCharsets.US_ASCII));
                blocker.getOutputStream().flush();
                int hung = await().atMost(Duration.ofSeconds(10)).until(() -> workers.stream()
                        .filter(w -> ProcFs.tcpPeerPorts(w, master.port()).contains(blocker.getLocalPort()))
                        .findFirst().orElse(-1), w -> w > 0);
                int free = workers.stream().filter(w -> w != hung).findFirst().orElseThrow();
                // The hung loop took the "block" line: it never answers.
                blocker.setSoTimeout(300);
                try {
                    int answer = blocker.getInputStream().read();
                    throw new AssertionError("the blocked worker answered: " + answer);
                } catch (java.net.SocketTimeoutException expected) {
                    // hung as intended
                }

                long termAt = ProcFs.uptimeMillis();
                master.signal("TERM");
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> !ProcFs.exists(free));
                long freeGone = ProcFs.uptimeMillis();
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> !ProcFs.exists(hung));
                long hungGone = ProcFs.uptimeMillis();
                assertThat(master.awaitExit(Duration.ofSeconds(10))).isZero();

                String log = master.errorLog();
                assertThat(log).contains("signal 15 (SIGTERM)").contains(free + "#loop: exiting (TERMINATE)")
                        .contains("worker process " + free + " exited with code 0")
                        .contains("worker process " + hung + " did not exit in time; sending SIGKILL")
                        .contains("worker process " + hung + " killed by signal 9")
                        .doesNotContain("worker process " + free + " did not exit in time");
                // The one that could obey went at once; the hung one a second after TERM (not before), promptly.
                assertThat(freeGone - termAt).as("TERM -> the free worker gone").isLessThan(1_000);
                assertThat(hungGone - termAt).as("TERM -> the hung worker gone").isBetween(1_000L - 10, 1_000L + 1_500);
                Figures.record("TERM escalation", "a worker that obeyed TERMINATE gone " + (freeGone - termAt)
                        + " ms after TERM, a hung one SIGKILLed and gone after " + (hungGone - termAt) + " ms");
            }
            assertThat(master.pidFile()).doesNotExist();
        }
    }
}
