package io.masterwork.distribution;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Starting real masters from the distribution and steering them as an operator does: pid file, a second
 * start, -s, a stale pid file, daemon mode. Each master listens on a free loopback port and is killed
 * (with its workers) after the test.
 */
class MasterStartIT {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path prefix;

    private final Distribution dist = new Distribution();
    private int port;

    @AfterEach
    void killEverythingStarted() {
        dist.killAll();
    }

    private void configure(String extra) throws IOException {
        port = Distribution.freePort();
        Distribution.writeConfig(prefix, "worker_processes = 1\nworker_cpu_affinity = off\n"
                + "listen = \"127.0.0.1:" + port + "\"\n" + extra);
    }

    private Path pidFile() {
        return prefix.resolve("logs/masterwork.pid");
    }

    private Path errorLog() {
        return prefix.resolve("logs/error.log");
    }

    private long pidInFile() throws IOException {
        return Long.parseLong(Files.readString(pidFile()).trim());
    }

    private String errorLogText() throws IOException {
        return Files.exists(errorLog()) ? Files.readString(errorLog()) : "";
    }

    private Process startForeground() throws IOException {
        Process master = dist.start(prefix, prefix.resolve("foreground.out"));
        await().atMost(START).until(() -> Files.exists(pidFile()) || !master.isAlive());
        assertThat(master.isAlive()).as(Files.readString(prefix.resolve("foreground.out"))).isTrue();
        return master;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void foregroundMasterIsTheStartedProcessAndOwnsThePidFile() throws Exception {
        configure("");
        Process master = startForeground();

        assertThat(pidInFile()).isEqualTo(master.pid());
        assertThat(accepts(port)).isTrue();
        // the master's stderr carries the same nginx-style lines as the error log
        assertThat(Files.readString(prefix.resolve("foreground.out")))
                .containsPattern("\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2} \\[notice\\] " + master.pid() + "#");
        assertThat(errorLogText()).contains("[notice] " + master.pid() + "#");

        Distribution.Result stop = dist.run(prefix, "-s", "stop");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(stop.stdout()).contains("SIGTERM").contains(String.valueOf(master.pid()));
        assertThat(master.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(pidFile()).doesNotExist();
    }

    /** The master's signals are blocked in its main thread (read from a signalfd, never by HotSpot). */
    private static void assertSignalsBlocked(long pid) throws IOException {
        String sigBlk = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("SigBlk:")).findFirst().orElseThrow().substring(7).trim();
        long mask = Long.parseUnsignedLong(sigBlk, 16);
        for (int signal : new int[] {1, 2, 3, 10, 12, 15, 17, 28}) {
            assertThat(mask & (1L << (signal - 1))).as("signal %d blocked in %s", signal, sigBlk).isNotZero();
        }
    }

    @Test
    void reopenAfterRotationWritesAFreshErrorLog() throws Exception {
        configure("");
        Process master = startForeground();
        assertSignalsBlocked(master.pid());
        Path rotated = prefix.resolve("logs/error.log.1");
        Files.move(errorLog(), rotated);

        Distribution.Result r = dist.run(prefix, "-s", "reopen");
        assertThat(r.exit()).as(r.toString()).isZero();
        await().atMost(START).until(() -> errorLogText().contains("reopened " + errorLog()));
        assertThat(Files.readString(rotated)).contains("[notice] " + master.pid() + "#").doesNotContain("reopened");
        assertThat(master.isAlive()).isTrue();
    }

    @Test
    void secondStartSaysAlreadyRunningAndLeavesThePidFileAlone() throws Exception {
        configure("");
        Process master = startForeground();
        String pidFileBefore = Files.readString(pidFile());
        long modifiedBefore = Files.getLastModifiedTime(pidFile()).toMillis();

        Distribution.Result second = dist.run(prefix);
        assertThat(second.exit()).as(second.toString()).isEqualTo(1);
        assertThat(second.stderr()).contains("already running").contains(String.valueOf(master.pid()));
        assertThat(Files.readString(pidFile())).isEqualTo(pidFileBefore);
        assertThat(Files.getLastModifiedTime(pidFile()).toMillis()).isEqualTo(modifiedBefore);
        assertThat(master.isAlive()).isTrue();

        // -t still works beside the running master (binds nothing)
        Distribution.Result test = dist.run(prefix, "-t");
        assertThat(test.exit()).as(test.toString()).isZero();
        assertThat(master.isAlive()).isTrue();
    }

    @Test
    void signalsReachTheMaster() throws Exception {
        configure("");
        Process master = startForeground();
        Distribution.Result reopen = dist.run(prefix, "-s", "reopen");
        assertThat(reopen.exit()).as(reopen.toString()).isZero();
        assertThat(reopen.stdout()).contains("sent SIGUSR1");
        await().atMost(START).until(() -> errorLogText().contains("SIGUSR1"));
        assertThat(master.isAlive()).isTrue();
        // reload goes through the master's control socket and waits for the outcome
        Distribution.Result reload = dist.run(prefix, "-s", "reload");
        assertThat(reload.exit()).as(reload.toString()).isZero();
        assertThat(reload.stdout()).contains("reload complete");
        await().atMost(START).until(() -> errorLogText().contains("reload complete"));
        assertThat(master.isAlive()).isTrue();
        Distribution.Result quit = dist.run(prefix, "-s", "quit");
        assertThat(quit.exit()).as(quit.toString()).isZero();
        assertThat(master.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(errorLogText()).contains("SIGQUIT");
        assertThat(pidFile()).doesNotExist();
    }

    @Test
    void stalePidFileIsReplacedWithALogLine() throws Exception {
        configure("");
        Process gone = new ProcessBuilder("true").start();
        assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Files.createDirectories(pidFile().getParent());
        Files.writeString(pidFile(), gone.pid() + "\n");

        Process master = startForeground();
        await().atMost(START).until(() -> Files.exists(pidFile()) && pidInFile() == master.pid());
        assertThat(errorLogText()).contains("names process " + gone.pid()).contains("stale pid file");
    }

    @Test
    void daemonModeReturnsAndLeavesARunningMasterInItsOwnSession() throws Exception {
        configure("daemon = true\n");
        Distribution.Result r = dist.run(prefix);
        if (Files.exists(pidFile())) {
            dist.track(pidInFile());
        }
        assertThat(r.exit()).as(r + "\n" + errorLogText()).isZero();
        assertThat(r.stdout()).contains("started in the background");

        long masterPid = pidInFile();
        assertThat(ProcessHandle.of(masterPid)).isPresent();
        assertSignalsBlocked(masterPid);
        assertThat(accepts(port)).isTrue();
        String stat = Files.readString(Path.of("/proc", Long.toString(masterPid), "stat"), StandardCharsets.US_ASCII);
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields after the command: state ppid pgrp session tty_nr ...
        assertThat(Long.parseLong(fields[3])).as("session id").isEqualTo(masterPid);
        assertThat(Integer.parseInt(fields[4])).as("controlling terminal").isZero();

        Distribution.Result again = dist.run(prefix);
        assertThat(again.exit()).as(again.toString()).isEqualTo(1);
        assertThat(again.stderr()).contains("already running");

        Distribution.Result stop = dist.run(prefix, "-s", "stop");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        await().atMost(START).until(() -> ProcessHandle.of(masterPid).map(h -> !h.isAlive()).orElse(true));
        await().atMost(START).until(() -> !Files.exists(pidFile()));
    }

    @Test
    void daemonThatCannotStartReportsItsLog() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = taken.getLocalPort();
            Distribution.writeConfig(prefix, "worker_processes = 1\ndaemon = true\n"
                    + "listen = \"127.0.0.1:" + port + "\"\n");
            Distribution.Result r = dist.run(prefix);
            if (Files.exists(pidFile())) {
                dist.track(pidInFile());
            }
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.stderr()).contains("during start-up").contains(errorLog().toString());
            assertThat(pidFile()).doesNotExist();
        }
    }
}
