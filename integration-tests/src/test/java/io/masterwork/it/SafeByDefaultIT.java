package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.master.control.ControlClient;
import io.masterwork.posix.NativePosix;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.TestDirectories;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 23, "Safe by default", on real masters started as root: workers that nobody configured run as
 * nobody:nogroup with nothing left to regain root with; a worker user that cannot read what a worker loads is
 * refused up front with the path named; and a compromised worker user that owns the log directory and plants a
 * symbolic link and a FIFO as the logs gets neither a root file appended to or chowned, nor a blocked master.
 */
class SafeByDefaultIT {
    private static final String NOBODY_NOGROUP = "65534\t65534\t65534\t65534";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @BeforeEach
    void needsRoot() {
        assumeThat(NativePosix.get().geteuid()).as("the master must run as root").isZero();
    }

    @Test
    void theDefaultConfigurationAsRootRunsWorkersAsNobodyNogroupWithNoWayBack() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> workers = master.awaitWorkers(2);
            assertThat(ProcFs.status("/proc/" + master.pid(), "Uid")).startsWith("0\t");
            for (int w : workers) {
                assertThat(ProcFs.status("/proc/" + w, "Uid")).isEqualTo(NOBODY_NOGROUP);
                assertThat(ProcFs.status("/proc/" + w, "Gid")).isEqualTo(NOBODY_NOGROUP);
                assertThat(ProcFs.status("/proc/" + w, "Groups")).isEqualTo("65534");
                // Every thread, including those the JVM started before the worker's own code ran.
                for (int task : ProcFs.tasks(w)) {
                    String proc = "/proc/" + w + "/task/" + task;
                    if (ProcFs.status(proc, "Uid") == null) {
                        continue; // the thread ended meanwhile
                    }
                    assertThat(ProcFs.status(proc, "NoNewPrivs")).as("NoNewPrivs of %s", proc).isEqualTo("1");
                    assertThat(ProcFs.status(proc, "CapEff")).as("CapEff of %s", proc).isEqualTo("0000000000000000");
                    assertThat(ProcFs.status(proc, "CapPrm")).as("CapPrm of %s", proc).isEqualTo("0000000000000000");
                }
            }
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            assertThat(master.errorLog()).contains("workers run as nobody nogroup");
            // The logs belong to the worker user (workers reopen them by path) and stay writable by the master's group:
            // a root master without CAP_DAC_OVERRIDE (deploy/systemd) reopens them too.
            for (String log : List.of("error.log", "access.log")) {
                Path file = master.prefix().resolve("logs").resolve(log);
                assertThat(Files.getAttribute(file, "unix:uid")).as(log).isEqualTo(65534);
                assertThat(Files.getAttribute(file, "unix:gid")).as(log).isEqualTo(0);
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(log).isEqualTo("rw-rw-r--");
            }
        }
    }

    /** nginx's initgroups: {@code user "u g"} gives g and the groups that list u, not u's own passwd group. */
    @Test
    void aUserWithAGroupKeepsNotThePasswdGroupOfThatUser() throws Exception {
        try (RunningMaster master = RunningMaster.start("user = \"nobody daemon\"\n")) {
            for (int w : master.awaitWorkers(2)) {
                assertThat(ProcFs.status("/proc/" + w, "Uid")).isEqualTo(NOBODY_NOGROUP);
                assertThat(ProcFs.status("/proc/" + w, "Gid")).isEqualTo("1\t1\t1\t1");
                assertThat(ProcFs.status("/proc/" + w, "Groups")).as("nobody's passwd group 65534 is not kept").isEqualTo("1");
            }
        }
    }

    @Test
    void aJarTheWorkerUserCannotReadIsRefusedByTheTestAndAtStartWithItsPath() throws Exception {
        Path privateDir = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-it-private-")); // 0700, root's
        Path jar = Files.copy(Files.list(RunningMaster.lib()).filter(p -> p.toString().endsWith(".jar")).findFirst()
                .orElseThrow(), privateDir.resolve("app.jar"));
        Path prefix = prefix("worker_class_path = [\"" + jar + "\"]\n");
        Result test = run(RunningMaster.lib(), prefix, "-t");
        assertThat(test.status).isEqualTo(1);
        assertThat(test.output).contains("cannot read " + jar + " (worker_class_path)")
                .contains(privateDir + " is rwx------").contains("test failed");

        Result start = run(RunningMaster.lib(), prefix);
        assertThat(start.status).isEqualTo(1);
        assertThat(start.output).contains("workers run as user nobody (uid 65534, gid 65534) and cannot read " + jar);
        assertThat(prefix.resolve("logs/masterwork.pid")).doesNotExist();
    }

    /** A clone under a 0700 home directory: the master says which path, instead of workers that exit 2. */
    @Test
    void aMasterWhoseOwnClassPathTheWorkerUserCannotReadRefusesToStart() throws Exception {
        Path home = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-it-home-")); // 0700, like /root
        Path lib = Files.createDirectories(home.resolve("clone/lib"));
        try (var jars = Files.list(RunningMaster.lib())) {
            for (Path j : jars.toList()) {
                if (Files.isDirectory(j)) { // lib/master/
                    Path to = Files.createDirectories(lib.resolve(j.getFileName()));
                    try (var inner = Files.list(j)) {
                        for (Path k : inner.toList()) {
                            Files.copy(k, to.resolve(k.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                    continue;
                }
                Files.copy(j, lib.resolve(j.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path prefix = prefix("");
        Result start = run(lib, prefix);
        assertThat(start.status).isEqualTo(1);
        // The JVM expands lib/* into every jar: the first is named, and the directory that stops the worker user.
        assertThat(start.output).containsPattern("cannot read " + lib + "/[^ ]+\\.jar \\(the class path\\)")
                .contains(home + " is rwx------ (0700) owned by root:root, which user nobody may not enter");
        assertThat(start.output).doesNotContain("worker process").doesNotContain("exited with code 2");
    }

    /**
     * The packaging mistake nginx's CVE-2016-1247 exploited: the log directory belongs to the worker user. A
     * compromised worker replaces error.log by a symbolic link to a root-only file and access.log by a FIFO; then
     * the operator's logrotate sends USR1, and a reload follows. The root file keeps its owner, mode and content,
     * the master answers throughout and says what it refused.
     */
    @Test
    void aSymlinkAndAFifoPlantedAsTheLogsAreNeitherFollowedNorWaitedOn() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            Path logs = master.prefix().resolve("logs");
            Path secrets = Files.createDirectories(master.prefix().resolve("secrets"));
            Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rwx------"));
            Path target = Files.writeString(secrets.resolve("shadow"), "root's own\n");
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));

            Files.setOwner(logs, logs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
            asWorkerUser("rm -f logs/error.log logs/access.log && ln -s " + target + " logs/error.log"
                    + " && mkfifo logs/access.log", master.prefix());
            assertThat(Files.isSymbolicLink(logs.resolve("error.log"))).isTrue();

            master.signal("USR1");
            await().atMost(WAIT).until(() -> master.output().contains("logs reopened"));
            assertThat(master.output()).contains("[alert]").contains("log file " + logs.resolve("error.log")
                    + " is a symbolic link; not followed").contains("log file " + logs.resolve("access.log") + " is a FIFO");
            assertThat(Http.get(master.port(), "/after-usr1").status()).isEqualTo(200);

            String reload;
            try (ControlClient client = ControlClient.connect(logs.resolve("masterwork.sock"))) {
                reload = client.ask("reload", WAIT);
            }
            // The new workers' access log is a FIFO they refuse too: the reload may roll back, but the master answers.
            assertThat(reload).contains("\"ok\":");
            assertThat(Http.get(master.port(), "/after-reload").status()).isEqualTo(200);
            try (ControlClient client = ControlClient.connect(logs.resolve("masterwork.sock"))) {
                assertThat(client.ask("status", Duration.ofSeconds(10))).contains("\"pid\":" + master.pid());
            }
            assertThat(master.output()).contains("directory " + logs + " is owned by nobody (uid 65534)");

            assertThat(Files.readString(target)).isEqualTo("root's own\n");
            assertThat(Files.getAttribute(target, "unix:uid")).isEqualTo(0);
            assertThat(Files.getAttribute(target, "unix:gid")).isEqualTo(0);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
            assertThat(Files.getAttribute(logs.resolve("error.log"), "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(65534);
            assertThat(Files.getAttribute(logs.resolve("access.log"), "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(65534);
        }
    }

    /**
     * A worker reopens the error log by path on USR1 (its stdout and stderr): a FIFO the worker user planted there
     * must not hold its event loop in open(2) (with no reader, O_NONBLOCK makes it ENXIO; with one, fstat refuses it).
     * Each worker says it refused the FIFO, on the error log it still has
     * (read through /proc/<pid>/fd/2), and serves on.
     */
    @Test
    void aFifoPlantedAsTheErrorLogDoesNotHoldAWorkerOnReopen() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> workers = master.awaitWorkers(2);
            Path logs = master.prefix().resolve("logs");
            Files.setOwner(logs, logs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
            asWorkerUser("rm -f logs/error.log && mkfifo logs/error.log", master.prefix());

            master.signal("USR1");
            for (int worker : workers) {
                Path stderr = Path.of("/proc/" + worker + "/fd/2");
                await().atMost(Duration.ofSeconds(20)).until(() ->
                        Files.readString(stderr).contains("cannot reopen the error log " + logs.resolve("error.log") + ": "));
            }
            for (int i = 0; i < 10; i++) {
                assertThat(Http.get(master.port(), "/after-usr1").status()).isEqualTo(200);
            }
            assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(workers);
        }
    }

    private static void asWorkerUser(String script, Path cwd) throws Exception {
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", script)
                .directory(cwd.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    }

    private static Path prefix(String config) throws IOException {
        Path prefix = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-it-"));
        Files.setPosixFilePermissions(prefix, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), "worker_processes = 1\nlisten = \"127.0.0.1:"
                + RunningMaster.freePort() + "\"\n" + config);
        return prefix;
    }

    private record Result(int status, String output) {
    }

    /** bin/masterwork's java command with the class path {@code lib}/*, bounded; a master left running is killed. */
    private static Result run(Path lib, Path prefix, String... args) throws Exception {
        List<String> command = new ArrayList<>(RunningMaster.javaCommand(lib, "-p", prefix.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(prefix.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not exit within 60 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
