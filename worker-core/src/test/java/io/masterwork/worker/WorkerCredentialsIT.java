package io.masterwork.worker;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A worker started as root with {@code masterwork.worker_uid/gid/groups} (what the master renders
 * for {@code user = "nobody nogroup"}) runs as that user with those groups, and still serves.
 */
class WorkerCredentialsIT extends WorkerProcessTest {

    @Test
    void aWorkerStartedAsRootRunsAsNobodyWithItsGroupsAndServes() throws Exception {
        assumeTrue(MasterStandIn.POSIX.geteuid() == 0, "needs root");
        // The class path must be readable by nobody: ~/.m2 of root is not. Copy it where it is.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        String classPath = readableCopyOfClassPath(dir.resolve("cp"));
        master = MasterStandIn.create(dir);
        master.spawn("{\"masterwork\":{\"prefix\":\"" + dir + "\",\"worker_uid\":65534,\"worker_gid\":65534,"
                        + "\"worker_groups\":[65534,100]},\"http\":{\"access_log\":\"off\"}}",
                classPath, null, 1);
        master.awaitReady(Duration.ofSeconds(60));

        List<String> status = Files.readAllLines(Path.of("/proc/" + master.pid + "/status"));
        assertThat(status).anySatisfy(l -> assertThat(l).matches("Uid:\\s+65534\\s+65534\\s+65534\\s+65534"));
        assertThat(status).anySatisfy(l -> assertThat(l).matches("Gid:\\s+65534\\s+65534\\s+65534\\s+65534"));
        assertThat(status).anySatisfy(l -> assertThat(l).matches("Groups:\\s+100 65534\\s*"));
        // Issue 23: nothing left to regain root with: no capability in any set that matters, and no_new_privs.
        assertThat(status).anySatisfy(l -> assertThat(l).matches("CapEff:\\s+0000000000000000"));
        assertThat(status).anySatisfy(l -> assertThat(l).matches("CapPrm:\\s+0000000000000000"));
        // no_new_privs is per thread: set by init, so the event loop (started after it) carries it. The threads the
        // JVM started before init get it from the master (a root master sets it before it spawns: SafeByDefaultIT).
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + master.pid + "/task"))) {
            Path loop = tasks.filter(t -> readQuietly(t.resolve("comm")).trim().equals("loop")).findFirst().orElseThrow();
            assertThat(Files.readAllLines(loop.resolve("status"))).anySatisfy(l -> assertThat(l).matches("NoNewPrivs:\\s+1"));
        }
        // Every thread, not just the one that called setuid (glibc applies it to all).
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + master.pid + "/task"))) {
            for (Path task : tasks.toList()) {
                assertThat(Files.readAllLines(task.resolve("status")))
                        .anySatisfy(l -> assertThat(l).matches("Uid:\\s+65534\\s+65534\\s+65534\\s+65534"));
            }
        }
        assertThat(HttpProbe.get(master.address, "/").status()).isEqualTo(200);
        assertThat(master.errorLogText()).contains("running as uid 65534 gid 65534");
        // The title was set before the switch (a process that left root may not write its own memory).
        assertThat(Files.readString(Path.of("/proc/" + master.pid + "/cmdline")).replace("\0", "").trim())
                .isEqualTo("masterwork: worker process");
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static String readableCopyOfClassPath(Path target) throws IOException {
        Files.createDirectories(target);
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path source = Path.of(entry);
            if (!Files.exists(source)) {
                continue;
            }
            Path copy = target.resolve(i++ + "-" + source.getFileName());
            if (Files.isDirectory(source)) {
                try (Stream<Path> walk = Files.walk(source)) {
                    for (Path p : walk.toList()) {
                        Path to = copy.resolve(source.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(to);
                        } else {
                            Files.copy(p, to);
                        }
                    }
                }
            } else {
                Files.copy(source, copy);
            }
            entries.add(copy.toString());
        }
        try (Stream<Path> walk = Files.walk(target)) {
            for (Path p : walk.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
