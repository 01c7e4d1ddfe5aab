package io.masterwork.master.cli;

import io.masterwork.master.Version;
import io.masterwork.posix.NativePosix;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line in-process, for the commands that never start a master (running one re-executes the
 * JVM: that is tested on the distribution, in distribution's *IT).
 */
class MasterworkCommandTest {
    @TempDir
    Path prefix;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Masterwork.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private void config(String text) throws IOException {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), text);
    }

    /**
     * -t as root checks that the worker user (nobody by default) can read the class path; this JVM's is the Maven
     * repository's, which nobody may not read. WorkerUserIT shows that check on a real master.
     */
    private static final String ROOT_WORKERS = NativePosix.get().geteuid() == 0 ? "user = root\n" : "";

    @Test
    void versionIsTheBuiltProjectVersion() {
        assertThat(run("-v")).isZero();
        assertThat(out()).startsWith("masterwork version ").doesNotContain("unknown").doesNotContain("${");
        assertThat(Version.get()).matches("\\d+\\.\\d+\\.\\d+.*");
    }

    @Test
    void testReportsOkOnStdout() throws IOException {
        config(ROOT_WORKERS + "worker_processes = 1\n");
        assertThat(run("-p", prefix.toString(), "-t")).isZero();
        assertThat(out()).contains("configuration ok").contains(prefix.resolve("conf/masterwork.conf").toString());
        assertThat(err()).isEmpty();
        assertThat(prefix.resolve("logs")).doesNotExist();
    }

    @Test
    void testReportsTheErrorOnStderr() throws IOException {
        config("worker_processes = 1\nworker_priority = 20\n");
        assertThat(run("-p", prefix.toString(), "-t")).isEqualTo(1);
        assertThat(err()).contains("masterwork: [emerg] " + prefix.resolve("conf/masterwork.conf") + ":2: worker_priority: ")
                .contains("test failed");
        assertThat(out()).doesNotContain("configuration ok");
    }

    @Test
    void configPathIsRelativeToThePrefix() throws IOException {
        Files.writeString(prefix.resolve("x.conf"), ROOT_WORKERS);
        assertThat(run("-p", prefix.toString(), "-c", "x.conf", "-t")).isZero();
        assertThat(out()).contains(prefix.resolve("x.conf").toString());
    }

    @Test
    void signalNeedsAPidFile() throws IOException {
        config("");
        assertThat(run("-p", prefix.toString(), "-s", "reload")).isEqualTo(1);
        assertThat(err()).contains("pid file " + prefix.resolve("logs/masterwork.pid") + " does not exist");
    }

    @Test
    void signalRefusesAStalePidFile() throws Exception {
        config("");
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.createDirectories(prefix.resolve("logs"));
        Files.writeString(prefix.resolve("logs/masterwork.pid"), gone.pid() + "\n");
        assertThat(run("-p", prefix.toString(), "-s", "stop")).isEqualTo(1);
        assertThat(err()).contains("which is not running").contains("stale pid file");
    }

    @Test
    void signalNamesAreNginxs() {
        assertThat(SignalCommand.parse("stop")).isEqualTo(io.masterwork.posix.Signal.TERM);
        assertThat(SignalCommand.parse("quit")).isEqualTo(io.masterwork.posix.Signal.QUIT);
        assertThat(SignalCommand.parse("reload")).isEqualTo(io.masterwork.posix.Signal.HUP);
        assertThat(SignalCommand.parse("reopen")).isEqualTo(io.masterwork.posix.Signal.USR1);
        assertThat(run("-s", "restart")).isEqualTo(1);
        assertThat(err()).contains("invalid signal \"restart\"");
    }

    @Test
    void testAndSignalDoNotCombine() {
        assertThat(run("-t", "-s", "stop")).isEqualTo(1);
        assertThat(err()).contains("-t and -s cannot be combined");
    }

    @Test
    void statusWithoutAMasterSaysSoAndFails() throws IOException {
        config("");
        assertThat(run("-p", prefix.toString(), "status")).isEqualTo(1);
        assertThat(err()).contains("no master running: control socket " + prefix.resolve("logs/masterwork.sock")
                + " does not exist (is masterwork running?)");
        assertThat(out()).isEmpty();
    }

    @Test
    void statusTakesItsOptionsBeforeOrAfterTheWordAndNeedsTheSocket() throws IOException {
        config("control_socket = off\n");
        assertThat(run("status", "-p", prefix.toString(), "--json")).isEqualTo(1);
        assertThat(err()).contains("cannot ask the master: control_socket is off in " + prefix.resolve("conf/masterwork.conf"));
        err.reset();
        assertThat(run("-p", prefix.toString(), "status")).isEqualTo(1);
        assertThat(err()).contains("control_socket is off");
    }

    @Test
    void workersWithoutTheSocketPointsToTheSignals() throws IOException {
        config("control_socket = off\n");
        assertThat(run("-p", prefix.toString(), "workers", "3")).isEqualTo(1);
        assertThat(err()).contains("cannot ask the master: control_socket is off in " + prefix.resolve("conf/masterwork.conf")
                + " (send TTIN or TTOU to change the count by one)");
        assertThat(out()).isEmpty();
    }

    @Test
    void theQuestionCommandsListTheirOptionsInTheirOwnOrder() {
        assertThat(run("status", "-h")).isZero();
        assertThat(out()).containsSubsequence("-c=file", "-p=prefix", "--json", "-h, -?");
        out.reset();
        assertThat(run("workers", "-h")).isZero();
        assertThat(out()).containsSubsequence("N ", "-c=file", "-p=prefix", "-h, -?");
    }

    @Test
    void reloadWithoutASocketFileFallsBackToTheSignalAndItsPidFileCheck() throws IOException {
        config("");
        assertThat(run("-p", prefix.toString(), "-s", "reload")).isEqualTo(1);
        assertThat(err()).contains("cannot send \"reload\"").contains("does not exist");
    }

    @Test
    void unknownOptionIsAnError() {
        assertThat(run("--frobnicate")).isEqualTo(1);
        assertThat(err()).contains("Unknown option");
    }
}
