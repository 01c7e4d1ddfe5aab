package io.masterwork.master.pid;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PidFileTest {
    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killStarted() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    /**
     * Someone who can write the pid file's directory swaps the new file for a link to a root file the moment it is
     * created (here: right after open(2) returns, through the native calls PidFile makes): the pid goes where the
     * descriptor points, the link's target keeps its mode and content.
     */
    @Test
    void aFileSwappedForALinkRightAfterItsCreationGetsNeitherChmodNorTruncate() throws Exception {
        Path target = Files.writeString(dir.resolve("shadow"), "root's own\n");
        Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        io.masterwork.posix.Posix real = io.masterwork.posix.NativePosix.get();
        io.masterwork.posix.Posix swapping = (io.masterwork.posix.Posix) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {io.masterwork.posix.Posix.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("open")) {
                        Path created = Path.of((String) args[0]);
                        Files.move(created, dir.resolve("moved-away"));
                        Files.createSymbolicLink(created, target);
                    }
                    return result;
                });
        PidFile pidFile = new PidFile(dir.resolve("masterwork.pid"), swapping);
        pidFile.write(4242);
        assertThat(Files.readString(target)).isEqualTo("root's own\n");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-------");
        assertThat(Files.readString(dir.resolve("moved-away"))).isEqualTo("4242\n");
    }

    @Test
    void writeCreatesDirectoriesAndReadsBack() {
        PidFile pidFile = new PidFile(dir.resolve("run/sub/masterwork.pid"));
        pidFile.write(4242);
        assertThat(pidFile.read()).hasValue(4242);
        assertThat(pidFile.path()).content().isEqualTo("4242\n");
    }

    @Test
    void writeReplacesAndLeavesNoTemporaryFile() throws IOException {
        PidFile pidFile = new PidFile(dir.resolve("masterwork.pid"));
        pidFile.write(1);
        pidFile.write(2);
        assertThat(pidFile.read()).hasValue(2);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("masterwork.pid");
        }
    }

    @Test
    void absentFileReadsEmpty() {
        PidFile pidFile = new PidFile(dir.resolve("none.pid"));
        assertThat(pidFile.read()).isEmpty();
        assertThat(pidFile.status().state()).isEqualTo(PidFile.State.ABSENT);
        pidFile.remove();
    }

    @Test
    void garbageIsAnErrorNamingTheFile() throws IOException {
        Path path = dir.resolve("bad.pid");
        Files.writeString(path, "hello\n");
        PidFile pidFile = new PidFile(path);
        assertThatThrownBy(pidFile::read).isInstanceOf(InvalidPidFileException.class)
                .hasMessageContaining(path.toString()).hasMessageContaining("hello");
        assertThat(pidFile.status().state()).isEqualTo(PidFile.State.INVALID);
        Files.writeString(path, "0\n");
        assertThatThrownBy(pidFile::read).isInstanceOf(InvalidPidFileException.class);
    }

    @Test
    void pidOfAnEndedProcessIsStale() throws Exception {
        Process p = start("true");
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        PidFile pidFile = new PidFile(dir.resolve("masterwork.pid"));
        pidFile.write((int) p.pid());
        PidFile.Status status = pidFile.status();
        assertThat(status.state()).isEqualTo(PidFile.State.STALE);
        assertThat(status.description()).contains("not running");
    }

    @Test
    void pidOfAnotherProgramIsStale() throws Exception {
        Process p = start("sleep", "30");
        PidFile pidFile = new PidFile(dir.resolve("masterwork.pid"));
        pidFile.write((int) p.pid());
        PidFile.Status status = pidFile.status();
        assertThat(status.state()).isEqualTo(PidFile.State.STALE);
        assertThat(status.description()).contains("not a masterwork master");
    }

    @Test
    void processRunningTheMasterMainClassIsLive() throws Exception {
        Process p = start("sh", "-c", "sleep 30; true", PidFile.MAIN_CLASS);
        PidFile pidFile = new PidFile(dir.resolve("masterwork.pid"));
        pidFile.write((int) p.pid());
        assertThat(pidFile.status().live()).isTrue();
        assertThat(pidFile.status().pid()).isEqualTo((int) p.pid());
    }

    @Test
    void processWithTheMasterTitleIsLive() throws Exception {
        Process p = start("bash", "-c", "exec -a '" + PidFile.MASTER_TITLE + " -c x' sleep 30");
        PidFile pidFile = new PidFile(dir.resolve("masterwork.pid"));
        pidFile.write((int) p.pid());
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> pidFile.status().live());
    }

    @Test
    void removeIfOwnedByKeepsASuccessorsFile() {
        PidFile pidFile = new PidFile(dir.resolve("masterwork.pid"));
        pidFile.write(100);
        assertThat(pidFile.removeIfOwnedBy(99)).isFalse();
        assertThat(pidFile.read()).hasValue(100);
        assertThat(pidFile.removeIfOwnedBy(100)).isTrue();
        assertThat(pidFile.read()).isEmpty();
    }
}
