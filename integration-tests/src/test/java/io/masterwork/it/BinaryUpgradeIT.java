package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.KeepAliveLoad;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.TestDirectories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue "Binary upgrade": nginx's USR2 / WINCH / QUIT dance, and its rollback, losing nothing. */
// A rollback read timed out (10 s) beside another class's masters at load 30: the new masters' starts are heavy.
@TimingSensitive
class BinaryUpgradeIT {

    private static int readPid(Path file) throws Exception {
        return Integer.parseInt(Files.readString(file).trim());
    }

    /** Lets the load run between two steps: {@code n} more requests answered (bounded). */
    private static void awaitMoreAnswers(KeepAliveLoad load, long n) {
        long now = load.ok.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> load.ok.get() >= now + n);
    }

    /** The sockets both processes hold. */
    private static java.util.Set<String> sharedSockets(int one, int other) {
        java.util.Set<String> shared = new java.util.HashSet<>(ProcFs.fds(one).values());
        shared.retainAll(new java.util.HashSet<>(ProcFs.fds(other).values()));
        shared.removeIf(l -> !l.startsWith("socket:"));
        return shared;
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
            KeepAliveLoad load = new KeepAliveLoad(master.port(), 20);
            try {
                awaitMoreAnswers(load, 500);
                master.signal("USR2");
                newMaster = awaitNewMaster(master);
                assertThat(readPid(oldbin)).isEqualTo(master.pid());
                assertThat(readPid(pid)).isEqualTo(newMaster);
                List<Integer> newWorkers = awaitReadyWorkers(master, newMaster, 2);
                assertThat(ProcFs.cmdline(newMaster)).startsWith("masterwork: master process");
                // The new master shares with the old one the listener and (issue 29) the inbox write ends of both
                // masters' workers, which each names to the other over the upgrade channel: no worker's command
                // channel, nothing else.
                final int upgraded = newMaster;
                await().atMost(Duration.ofSeconds(10)).until(() -> sharedSockets(master.pid(), upgraded).size() == 1 + 2 + 2);
                assertThat(sharedSockets(master.pid(), newMaster)).contains(ProcFs.fds(oldWorkers.get(0)).get(6));
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
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":2");
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }

    /**
     * Issue 26: the status page's socket passes to the new master with the listeners (it could not bind the address
     * while the old master holds it), and once the old master is gone the page is the new master's.
     */
    @Test
    void theStatusPageSocketPassesToTheNewMaster() throws Exception {
        int newMaster = -1;
        int statusPort = RunningMaster.freePort();
        try (RunningMaster master = RunningMaster.start("status_listen = \"127.0.0.1:" + statusPort + "\"\n")) {
            List<Integer> oldWorkers = master.awaitWorkers(2);
            assertThat(StatusPageIT.json(Http.get(statusPort, "/status").text()).getInt("pid")).isEqualTo(master.pid());
            master.signal("USR2");
            newMaster = awaitNewMaster(master);
            awaitReadyWorkers(master, newMaster, 2);
            assertThat(master.errorLog()).contains("status_listen: inherited the socket for 127.0.0.1:" + statusPort);
            // Both masters hold the same sockets: the listener, the status page's, and (issue 29) the inbox write ends
            // of both masters' two workers.
            final int started = newMaster;
            await().atMost(Duration.ofSeconds(10)).until(() -> sharedSockets(master.pid(), started).size() == 2 + 2 + 2);

            master.signal("WINCH");
            await().atMost(Duration.ofSeconds(30)).until(() -> oldWorkers.stream().noneMatch(ProcFs::exists));
            master.signal("QUIT");
            assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
            final int upgraded = newMaster;
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                    StatusPageIT.json(Http.get(statusPort, "/status").text()).getInt("pid") == upgraded);
            assertThat(Http.get(statusPort, "/metrics").text()).contains("pid=\"" + upgraded + "\"");
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
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            // A second upgrade can start again.
            master.signal("USR2");
            newMaster = awaitNewMaster(master);
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }

    /**
     * A master running from a build directory of the launcher's layout ({@code .masterwork/builds/<build>/lib}): USR2
     * starts {@code .masterwork/current/bin/masterwork}, the newest build, not itself. Each build's bin/masterwork here
     * is a script that notes its pid (the pid the master keeps: it execs java) before starting the master.
     */
    @Test
    void usr2StartsTheNewestBuildRollsBackFromOneThatCannotTakeOverAndRefusesASecondUsr2() throws Exception {
        Path root = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-builds-"));
        Path builds = root.resolve(".masterwork/builds");
        Path first = build(builds.resolve("first"), root, "");
        // A build whose master does not speak this master's hand-over protocol: the script makes the hand-over it
        // receives say protocol 99, which is what such a master would see.
        Path foreign = build(builds.resolve("foreign"), root, "MASTERWORK_UPGRADE=$(printf '%s' \"$MASTERWORK_UPGRADE\""
                + " | sed 's/protocol=[0-9]*/protocol=99/')\nexport MASTERWORK_UPGRADE\n");
        Path newest = build(builds.resolve("newest"), root, "");
        setCurrent(root, foreign);
        int newMaster = -1;
        try (RunningMaster master = RunningMaster.start("", java.util.Map.of(), RunningMaster.freePort(), List.of(),
                first.resolve("lib"))) {
            List<Integer> oldWorkers = master.awaitWorkers(2);
            Path pid = master.pidFile();
            Path oldbin = pid.resolveSibling("masterwork.pid.oldbin");

            // 1. The newest build cannot take over: it refuses, exits, and this master carries on as before.
            master.signal("USR2");
            int refusing = await().atMost(Duration.ofSeconds(30)).until(() -> startedBy(root, foreign), p -> p.size() == 1).get(0);
            await().atMost(Duration.ofSeconds(60)).until(() -> master.errorLog().contains("the new master process " + refusing));
            assertThat(master.errorLog()).containsPattern("the new master process " + refusing
                    + " exited with code [1-9]\\d*; the upgrade is rolled back, this master carries on");
            assertThat(master.output()).contains("it hands over with protocol 99, this master speaks "
                    + io.masterwork.master.process.UpgradeHandover.PROTOCOL);
            assertThat(ProcFs.exists(refusing)).isFalse();
            assertThat(readPid(pid)).isEqualTo(master.pid());
            assertThat(oldbin).doesNotExist();
            assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(oldWorkers);
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");

            // 2. USR2 again, the newest build now able to: the new master is the one .masterwork/current names.
            setCurrent(root, newest);
            master.signal("USR2");
            newMaster = awaitNewMaster(master);
            assertThat(startedBy(root, newest)).containsExactly(newMaster);
            awaitReadyWorkers(master, newMaster, 2);

            // 3. A second USR2 while that upgrade is under way is refused: no third master.
            master.signal("USR2");
            final int upgraded = newMaster;
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog()
                    .contains("USR2 refused: the upgrade to master " + upgraded + " is in progress"));
            // 4. And the new master ignores USR2 while its old master lives.
            RunningMaster.kill("USR2", newMaster);
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog()
                    .contains(upgraded + "#main: USR2 ignored: the old master " + master.pid() + " still runs; QUIT it first"));
            // The refusals are logged as each USR2 is handled, so no master could have been started before them.
            assertThat(startedBy(root, newest)).containsExactly(newMaster);
            assertThat(startedBy(root, foreign)).containsExactly(refusing);
            List<Integer> oldChildren = ProcFs.children(master.pid());
            assertThat(oldChildren).containsExactlyInAnyOrder(oldWorkers.get(0), oldWorkers.get(1), newMaster);
            assertThat(ProcFs.children(newMaster)).hasSize(2).allMatch(w -> ProcFs.cmdline(w).equals("masterwork: worker process"));
            assertThat(readPid(oldbin)).isEqualTo(master.pid());
            assertThat(readPid(pid)).isEqualTo(newMaster);
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }

    /** A build directory: lib/ (the test's class path, linked) and bin/masterwork, which notes its pid first. */
    static Path build(Path dir, Path root, String beforeExec) throws Exception {
        Files.createDirectories(dir.resolve("bin"));
        Files.createSymbolicLink(dir.resolve("lib"), RunningMaster.lib());
        Path script = dir.resolve("bin/masterwork");
        Files.writeString(script, "#!/bin/sh\n"
                + "echo $$ >> " + root.resolve("started-by-" + dir.getFileName()) + "\n"
                + beforeExec
                + "exec " + RunningMaster.java() + " " + String.join(" ", RunningMaster.MASTER_JVM_FLAGS)
                + " -cp '" + RunningMaster.classPath(dir.resolve("lib")) + "' " + RunningMaster.MAIN + " \"$@\"\n");
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Path p = dir; !p.equals(root.getParent()); p = p.getParent()) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return dir;
    }

    /** Points .masterwork/current at {@code build}, replacing the link in one rename, as the launcher does. */
    static void setCurrent(Path root, Path build) throws Exception {
        Path link = root.resolve(".masterwork/current.tmp");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of("builds", build.getFileName().toString()));
        Files.move(link, root.resolve(".masterwork/current"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The pids the build's bin/masterwork noted, in order. */
    static List<Integer> startedBy(Path root, Path build) throws Exception {
        Path file = root.resolve("started-by-" + build.getFileName());
        return Files.exists(file) ? Files.readAllLines(file).stream().map(String::trim).map(Integer::parseInt).toList() : List.of();
    }
}
