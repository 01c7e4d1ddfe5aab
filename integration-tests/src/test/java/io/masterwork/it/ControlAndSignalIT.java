package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.master.control.ControlClient;
import io.masterwork.posix.NativePosix;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.TestDirectories;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 23, point 3: the command line believes only a master of root or of its own user. A control socket served
 * by another user is not talked to, and {@code -s stop|quit|reopen} signals the pid file's process only when it is
 * the master that answers on the control socket (or, without one, a master process of root or this user) — not a
 * process that merely calls itself "masterwork: master process".
 */
class ControlAndSignalIT {
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void needsRoot() {
        assumeThat(NativePosix.get().geteuid()).as("runs the impostors as nobody").isZero();
    }

    @AfterEach
    void killStarted() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aControlSocketServedByAnotherUserIsNotBelieved() throws Exception {
        Path dir = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-it-"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path socket = dir.resolve("masterwork.sock");
        Process fake = asNobody(List.of(java(), "-cp", RunningMaster.lib() + File.separator + "*",
                FakeControlServer.class.getName(), socket.toString()));
        assertThat(new BufferedReader(new InputStreamReader(fake.getInputStream(), StandardCharsets.US_ASCII)).readLine())
                .isEqualTo("listening");

        assertThatThrownBy(() -> ControlClient.connect(socket)).isInstanceOf(ControlClient.UntrustedServer.class)
                .hasMessageContaining("served by user nobody, neither root nor root");

        Path prefix = prefix("control_socket = \"" + socket + "\"\n");
        Result reload = cli(prefix, "-s", "reload");
        assertThat(reload.output).doesNotContain("reload complete").contains("served by user nobody");
        assertThat(reload.status).isEqualTo(1);
    }

    @Test
    void aProcessThatOnlyLooksLikeAMasterIsNotSignalled() throws Exception {
        Path prefix = prefix("control_socket = off\n");
        Process impostor = asNobody(List.of("bash", "-c", "exec -a 'masterwork: master process' sleep 60"));
        await().atMost(Duration.ofSeconds(10)).until(() -> String.valueOf(ProcFs.cmdline((int) impostor.pid()))
                .startsWith("masterwork: master process"));
        Files.createDirectories(prefix.resolve("logs"));
        Files.writeString(prefix.resolve("logs/masterwork.pid"), impostor.pid() + "\n");

        Result stop = cli(prefix, "-s", "stop");
        assertThat(stop.status).isEqualTo(1);
        assertThat(stop.output).contains("process " + impostor.pid() + " belongs to uid 65534, neither root nor you");
        assertThat(impostor.waitFor(1, TimeUnit.SECONDS)).as("the impostor is alive").isFalse();
    }

    @Test
    void aPidFileNamingAnotherProcessThanTheSocketsMasterIsNotSignalled() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\n")) {
            master.awaitWorkers(1);
            Process impostor = start(new ProcessBuilder("bash", "-c", "exec -a 'masterwork: master process' sleep 60"));
            await().atMost(Duration.ofSeconds(10)).until(() -> String.valueOf(ProcFs.cmdline((int) impostor.pid()))
                    .startsWith("masterwork: master process"));
            Files.writeString(master.pidFile(), impostor.pid() + "\n");

            Result quit = cli(master.prefix(), "-s", "quit");
            assertThat(quit.status).isEqualTo(1);
            assertThat(quit.output).contains("the pid file names process " + impostor.pid()
                    + ", but the master on control socket " + master.prefix().resolve("logs/masterwork.sock")
                    + " is process " + master.pid());
            assertThat(impostor.waitFor(1, TimeUnit.SECONDS)).as("the impostor is alive").isFalse();
            assertThat(master.isAlive()).isTrue();

            // The pid file put right, the same command reaches the master.
            Files.writeString(master.pidFile(), master.pid() + "\n");
            Result reopen = cli(master.prefix(), "-s", "reopen");
            assertThat(reopen.output).contains("sent SIGUSR1 (reopen) to master " + master.pid());
            assertThat(reopen.status).isZero();
        }
    }

    private Process asNobody(List<String> command) throws Exception {
        List<String> all = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        all.addAll(command);
        return start(new ProcessBuilder(all).redirectErrorStream(true));
    }

    private Process start(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private static String java() {
        return System.getProperty("java.home") + "/bin/java";
    }

    private static Path prefix(String config) throws Exception {
        Path prefix = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-it-"));
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), "listen = \"127.0.0.1:" + RunningMaster.freePort()
                + "\"\n" + config);
        return prefix;
    }

    private record Result(int status, String output) {
    }

    private static Result cli(Path prefix, String... args) throws Exception {
        List<String> command = new ArrayList<>(RunningMaster.javaCommand(RunningMaster.lib(), "-p", prefix.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(prefix.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not exit within 60 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
