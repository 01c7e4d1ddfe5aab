package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue "Binary upgrade": nginx's USR2 / WINCH / QUIT dance, and its rollback, losing nothing. */
class BinaryUpgradeIT {

    private static int readPid(Path file) throws Exception {
        return Integer.parseInt(Files.readString(file).trim());
    }

    /** Lets the load run between two steps: {@code n} more requests answered (bounded). */
    private static void awaitMoreAnswers(KeepAliveLoad load, long n) {
        long now = load.ok.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> load.ok.get() >= now + n);
    }

    /** The new master: the old master's child that is not one of its workers. */
    private static int awaitNewMaster(RunningMaster master) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            int pid = master.pidFromFile();
            return pid > 0 && pid != master.pid() && ProcFs.exists(pid) && ProcFs.parentOf(pid) == master.pid() ? pid : -1;
        }, p -> p > 0);
    }

    private static List<Integer> awaitReadyWorkers(RunningMaster master, int newMaster, int n) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            List<Integer> w = ProcFs.children(newMaster);
            String log = master.errorLog();
            return w.size() == n && w.stream().allMatch(p -> log.contains("worker process " + p + " (slot"));
        });
        await().atMost(Duration.ofSeconds(60)).until(() -> ProcFs.children(newMaster).stream()
                .allMatch(p -> master.errorLog().matches("(?s).*worker process " + p + " \\(slot \\d+\\) ready.*")));
        return ProcFs.children(newMaster);
    }

    @Test
    void usr2WinchQuitHandsOverToTheNewMasterWithoutLosingARequest() throws Exception {
        int newMaster = -1;
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> oldWorkers = master.awaitWorkers(2);
            Path pid = master.pidFile();
            Path oldbin = pid.resolveSibling("masterwork.pid.oldbin");
            KeepAliveLoad load = new KeepAliveLoad(master.port, 20);
            try {
                awaitMoreAnswers(load, 500);
                master.signal("USR2");
                newMaster = awaitNewMaster(master);
                assertThat(readPid(oldbin)).isEqualTo(master.pid());
                assertThat(readPid(pid)).isEqualTo(newMaster);
                List<Integer> newWorkers = awaitReadyWorkers(master, newMaster, 2);
                assertThat(ProcFs.cmdline(newMaster)).startsWith("masterwork: master process");
                // The new master shares exactly the listener with the old one: no channel, nothing else.
                java.util.Set<String> oldSockets = new java.util.HashSet<>(ProcFs.fds(master.pid()).values());
                oldSockets.removeIf(l -> !l.startsWith("socket:"));
                java.util.Set<String> shared = new java.util.HashSet<>(ProcFs.fds(newMaster).values());
                shared.retainAll(oldSockets);
                assertThat(shared).containsExactly(ProcFs.fds(oldWorkers.get(0)).get(6));
                assertThat(master.errorLog()).contains("binary upgrade: masterwork/");
                awaitMoreAnswers(load, 500);

                master.signal("WINCH");
                await().atMost(Duration.ofSeconds(30)).until(() -> oldWorkers.stream().noneMatch(ProcFs::exists));
                assertThat(master.isAlive()).isTrue();
                assertThat(readPid(oldbin)).isEqualTo(master.pid());
                awaitMoreAnswers(load, 500);

                master.signal("QUIT");
                assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
                assertThat(oldbin).doesNotExist();
                assertThat(readPid(pid)).isEqualTo(newMaster);
                assertThat(ProcFs.exists(newMaster)).isTrue();
                // The new master's workers go on serving the load once the old master is gone, and they are the same.
                awaitMoreAnswers(load, 500);
                assertThat(ProcFs.children(newMaster)).containsExactlyInAnyOrderElementsOf(newWorkers);
            } finally {
                load.close();
            }
            assertThat(load.failures).as("failures by kind").isEmpty();
            assertThat(load.failed.get()).as("%s", load).isZero();
            assertThat(load.ok.get()).isGreaterThan(500);
            assertThat(Http.get(master.port, "/_worker").text()).contains("\"generation\":2");
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }

    @Test
    void theRollbackPathBringsTheOldMasterBack() throws Exception {
        int newMaster = -1;
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            Path pid = master.pidFile();
            Path oldbin = pid.resolveSibling("masterwork.pid.oldbin");
            master.signal("USR2");
            newMaster = awaitNewMaster(master);
            awaitReadyWorkers(master, newMaster, 2);
            master.signal("WINCH");
            final int upgraded = newMaster;
            // The old master's only child left is the new master.
            await().atMost(Duration.ofSeconds(30)).until(() -> master.workers().equals(List.of(upgraded)));

            // Rollback: HUP restarts the old master's workers with its own configuration...
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(60)).until(() -> master.workers().size() == 3);
            // ...and QUIT to the new master makes it exit; the old master takes its pid file back.
            final int nm = newMaster;
            RunningMaster.kill("QUIT", nm);
            await().atMost(Duration.ofSeconds(30)).until(() -> !ProcFs.exists(nm));
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pid) && !Files.exists(oldbin));
            assertThat(readPid(pid)).isEqualTo(master.pid());
            assertThat(master.errorLog()).contains("the upgrade is rolled back");
            assertThat(master.workers()).hasSize(2);
            assertThat(Http.get(master.port, "/").status()).isEqualTo(200);
            // A second upgrade can start again.
            master.signal("USR2");
            newMaster = awaitNewMaster(master);
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }
}
