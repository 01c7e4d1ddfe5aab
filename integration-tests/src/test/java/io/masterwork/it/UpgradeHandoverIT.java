package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.masterwork.testkit.Persistent;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.TestDirectories;
import io.masterwork.testkit.WsClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 29: a binary upgrade (USR2 → WINCH → QUIT) closes no connection: the old master's workers hand their
 * WebSockets and idle keep-alive connections to the new master's workers, which it names over the upgrade channel;
 * the rollback hands them back; a new master that names none leaves the old graceful close.
 */
// Three masters and their workers start per test, and the fallback bounds a hold of 10 s from below and above.
@TimingSensitive
class UpgradeHandoverIT {

    /** The new master: the old master's child that is not one of its workers. */
    private static int awaitNewMaster(RunningMaster master) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            int pid = master.pidFromFile();
            return pid > 0 && pid != master.pid() && ProcFs.exists(pid) && ProcFs.parentOf(pid) == master.pid() ? pid : -1;
        }, p -> p > 0);
    }

    /** USR2 to {@code master}: its new master, once it runs (its workers may still be starting). */
    private static int usr2(RunningMaster master) {
        master.signal("USR2");
        return awaitNewMaster(master);
    }

    /** WINCH to {@code master}: returns once its workers {@code oldWorkers} are gone (their connections moved or ended). */
    private static void winch(RunningMaster master, List<Integer> oldWorkers) {
        master.signal("WINCH");
        await().atMost(Duration.ofSeconds(15)).until(() -> oldWorkers.stream().noneMatch(ProcFs::exists));
    }

    /** {@code n} workers of {@code parent}, each of which said READY (the shared error log says so). */
    private static List<Integer> awaitReadyWorkers(RunningMaster master, int parent, int n) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            List<Integer> w = ProcFs.children(parent).stream().filter(p -> ProcFs.cmdline(p).startsWith("masterwork: worker")).toList();
            String log = master.errorLog();
            return w.size() == n && w.stream().allMatch(p -> log.matches("(?s).*worker process " + p + " \\(slot \\d+\\) ready.*"));
        });
        return ProcFs.children(parent).stream().filter(p -> ProcFs.cmdline(p).startsWith("masterwork: worker")).toList();
    }

    /** The worker among {@code candidates} that holds the client connection from {@code clientPort}, or -1. */
    private static int holder(List<Integer> candidates, int serverPort, int clientPort) {
        return candidates.stream().filter(p -> ProcFs.tcpPeerPorts(p, serverPort).contains(clientPort)).findFirst().orElse(-1);
    }

    private static void echo(WsClient ws, String text) throws Exception {
        ws.sendText(text);
        WsClient.Frame frame = ws.read();
        assertThat(frame.opcode()).as("no close frame").isEqualTo(WsClient.TEXT);
        assertThat(frame.text()).isEqualTo(text);
    }

    private static Config json(Persistent.Response response) {
        return ConfigFactory.parseString(response.body());
    }

    @Test
    void aWebSocketEchoesAcrossUsr2WinchQuitWithoutACloseFrame() throws Exception {
        int newMaster = -1;
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 20s\n")) {
            List<Integer> oldWorkers = master.awaitWorkers(2);
            try (WsClient ws = new WsClient(master.port(), null)) {
                int localPort = ws.localPort();
                echo(ws, "before the upgrade");
                assertThat(holder(oldWorkers, master.port(), localPort)).isPositive();

                newMaster = usr2(master);
                List<Integer> newWorkers = awaitReadyWorkers(master, newMaster, 2);
                echo(ws, "two masters");

                // The old workers exit only once their connections are gone: this one moved, it was not closed.
                winch(master, oldWorkers);
                echo(ws, "after WINCH");
                int owner = holder(newWorkers, master.port(), localPort);
                assertThat(owner).as("a worker of the new master holds the connection").isPositive();
                assertThat(ProcFs.parentOf(owner)).isEqualTo(newMaster);

                master.signal("QUIT");
                assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
                for (int i = 0; i < 3; i++) {
                    echo(ws, "after QUIT " + i);
                }
                assertThat(ws.localPort()).isEqualTo(localPort);
                assertThat(ProcFs.parentOf(holder(newWorkers, master.port(), localPort))).isEqualTo(newMaster);
                String log = master.errorLog();
                assertThat(log).contains("names its worker process " + newWorkers.get(0));
                assertThat(log).contains("hands its connections to the other master's workers");
                assertThat(log).doesNotContain("retires without successors").doesNotContain("closed a moved connection");
            }
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }

    @Test
    void aKeepAliveConnectionIsAnsweredByTheNewMastersWorkerAfterTheUpgrade() throws Exception {
        int newMaster = -1;
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 20s\n")) {
            List<Integer> oldWorkers = master.awaitWorkers(2);
            try (Persistent client = new Persistent(master.port())) {
                int localPort = client.localPort();
                Config first = json(client.request("/_worker"));
                assertThat(oldWorkers).contains(first.getInt("pid"));

                newMaster = usr2(master);
                List<Integer> newWorkers = awaitReadyWorkers(master, newMaster, 2);
                winch(master, oldWorkers);
                master.signal("QUIT");
                assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();

                Persistent.Response response = client.request("/_worker");
                assertThat(response.statusLine()).startsWith("HTTP/1.1 200");
                assertThat(response.closes()).isFalse();
                Config now = json(response);
                assertThat(now.getInt("generation")).isEqualTo(2);
                assertThat(now.getInt("handover.adopted")).isPositive();
                assertThat(newWorkers).contains(now.getInt("pid"));
                assertThat(ProcFs.parentOf(now.getInt("pid"))).isEqualTo(newMaster);
                assertThat(client.localPort()).isEqualTo(localPort);
            }
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }

    /**
     * The new master of one upgrade is the old master of the next: it makes a channel of its own on its USR2, and the
     * WebSocket moves once more (soak-upgrades.sh's scenario, with a connection that must survive every step).
     */
    @Test
    void aWebSocketSurvivesTwoUpgradesInARow() throws Exception {
        int second = -1;
        int third = -1;
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 20s\n")) {
            List<Integer> firstWorkers = master.awaitWorkers(2);
            try (WsClient ws = new WsClient(master.port(), null)) {
                int localPort = ws.localPort();
                echo(ws, "first master");
                second = usr2(master);
                List<Integer> secondWorkers = awaitReadyWorkers(master, second, 2);
                winch(master, firstWorkers);
                master.signal("QUIT");
                assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
                echo(ws, "second master");

                final int secondMaster = second;
                RunningMaster.kill("USR2", second);
                third = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                    int pid = master.pidFromFile();
                    return pid > 0 && pid != secondMaster && ProcFs.exists(pid) && ProcFs.parentOf(pid) == secondMaster ? pid : -1;
                }, p -> p > 0);
                List<Integer> thirdWorkers = awaitReadyWorkers(master, third, 2);
                RunningMaster.kill("WINCH", second);
                await().atMost(Duration.ofSeconds(15)).until(() -> secondWorkers.stream().noneMatch(ProcFs::exists));
                RunningMaster.kill("QUIT", second);
                await().atMost(Duration.ofSeconds(30)).until(() -> !ProcFs.exists(secondMaster) || ProcFs.isZombie(secondMaster));
                for (int i = 0; i < 3; i++) {
                    echo(ws, "third master " + i);
                }
                int owner = holder(thirdWorkers, master.port(), localPort);
                assertThat(owner).as("a worker of the third master holds the connection").isPositive();
                assertThat(ProcFs.parentOf(owner)).isEqualTo(third);
                assertThat(ws.localPort()).isEqualTo(localPort);
            }
        } finally {
            RunningMaster.killTree(third);
            RunningMaster.killTree(second);
        }
    }

    /**
     * The new master is killed after WINCH: the upgrade rolls back, the old master starts its workers again, and the
     * WebSocket its workers had moved to the new master's ends with them: gracefully, a close frame (1001) and no reset.
     */
    @Test
    void whenTheNewMasterDiesTheOldOneCarriesOnAndTheMovedWebSocketEndsGracefully() throws Exception {
        int newMaster = -1;
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 20s\n")) {
            List<Integer> oldWorkers = master.awaitWorkers(2);
            try (WsClient ws = new WsClient(master.port(), null)) {
                echo(ws, "before the upgrade");
                newMaster = usr2(master);
                awaitReadyWorkers(master, newMaster, 2);
                winch(master, oldWorkers);
                echo(ws, "moved");
                RunningMaster.kill("KILL", newMaster);
                WsClient.Frame close = ws.read();
                assertThat(close.opcode()).isEqualTo(WsClient.CLOSE);
                assertThat(((close.payload()[0] & 0xFF) << 8) | (close.payload()[1] & 0xFF)).isEqualTo(1001);
                awaitReadyWorkers(master, master.pid(), 2);
                assertThat(master.errorLog()).contains("the upgrade is rolled back");
                try (WsClient again = new WsClient(master.port(), null)) {
                    echo(again, "the old master serves");
                }
            }
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }

    /**
     * Rollback, nginx's way: HUP to the old master after WINCH brings its workers back, QUIT to the new master ends it.
     * The WebSocket went over to the new master at WINCH and comes back to the old master's new workers at that QUIT.
     */
    @Test
    void theRollbackHandsTheWebSocketBackToTheOldMastersWorkers() throws Exception {
        int newMaster = -1;
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 20s\n")) {
            List<Integer> oldWorkers = master.awaitWorkers(2);
            try (WsClient ws = new WsClient(master.port(), null)) {
                int localPort = ws.localPort();
                echo(ws, "before the upgrade");
                newMaster = usr2(master);
                List<Integer> newWorkers = awaitReadyWorkers(master, newMaster, 2);
                winch(master, oldWorkers);
                echo(ws, "with the new master");
                assertThat(holder(newWorkers, master.port(), localPort)).isPositive();

                master.signal("HUP");
                List<Integer> restarted = awaitReadyWorkers(master, master.pid(), 2);
                final int upgraded = newMaster;
                // The old master's restarted workers are named to the new master before it is told to quit.
                await().atMost(Duration.ofSeconds(10)).until(() -> restarted.stream().allMatch(p ->
                        master.errorLog().contains(upgraded + "#main: the old master " + master.pid()
                                + " names its worker process " + p)));
                RunningMaster.kill("QUIT", newMaster);
                await().atMost(Duration.ofSeconds(30)).until(() -> !ProcFs.exists(upgraded));
                for (int i = 0; i < 3; i++) {
                    echo(ws, "rolled back " + i);
                }
                int owner = holder(restarted, master.port(), localPort);
                assertThat(owner).as("a restarted worker of the old master holds the connection").isPositive();
                assertThat(ProcFs.parentOf(owner)).isEqualTo(master.pid());
                assertThat(ws.localPort()).isEqualTo(localPort);
                assertThat(master.errorLog()).contains("the upgrade is rolled back");
            }
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }

    /**
     * A new master of a build without the upgrade channel (the script takes {@code channel=} out of the hand-over, as
     * such a build would ignore it) names no workers: WINCH waits for them at most 10 s after USR2, then the old
     * workers end their connections gracefully as before, and the log says why.
     */
    @Test
    void aNewMasterThatNamesNoWorkersLeavesTheGracefulClose() throws Exception {
        Path root = TestDirectories.removedAtExit(java.nio.file.Files.createTempDirectory("masterwork-silent-"));
        Path silent = BinaryUpgradeIT.build(root.resolve("silent"), root, "MASTERWORK_UPGRADE=$(printf '%s' \"$MASTERWORK_UPGRADE\""
                + " | sed 's/ channel=[0-9]*//')\nexport MASTERWORK_UPGRADE\n");
        int newMaster = -1;
        try (RunningMaster master = RunningMaster.start("worker_shutdown_timeout = 20s\n",
                Map.of("MASTERWORK_UPGRADE_BINARY", silent.resolve("bin/masterwork").toString()))) {
            List<Integer> oldWorkers = master.awaitWorkers(2);
            try (Persistent client = new Persistent(master.port())) {
                assertThat(client.request("/").statusLine()).startsWith("HTTP/1.1 200");
                long usr2 = System.nanoTime();
                newMaster = usr2(master);
                awaitReadyWorkers(master, newMaster, 2);
                master.signal("WINCH");
                await().atMost(Duration.ofSeconds(30)).until(() -> master.errorLog().contains("retires without successors"));
                assertThat(System.nanoTime() - usr2).as("held back until 10 s after USR2").isGreaterThan(9_000_000_000L);
                assertThat(master.errorLog()).contains("named no workers over the upgrade channel within 10 s of USR2");
                // A FIN, not a reset, and the old workers are gone.
                assertThat(client.readByte()).isEqualTo(-1);
                await().atMost(Duration.ofSeconds(15)).until(() -> oldWorkers.stream().noneMatch(ProcFs::exists));
                assertThat(master.errorLog()).contains("gave no upgrade channel");
            }
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }
}
