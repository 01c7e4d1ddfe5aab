package io.masterwork.distribution;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's first command on a fresh clone: {@code ./masterwork} builds once into a versioned directory,
 * does not rebuild while the sources are unchanged, execs the build (the launcher's pid becomes the
 * master's), and a rebuild after a source change goes to a new directory while the running master keeps
 * its jars untouched. Maven runs offline here: the outer build has already fetched every artifact.
 */
class LauncherIT {
    private static final Path REPO = Path.of(System.getProperty("masterwork.repo", "..")).toAbsolutePath().normalize();
    private static final int BUILD_TIMEOUT_SECONDS = 900;

    @TempDir
    Path tmp;

    private final Distribution dist = new Distribution();

    @AfterEach
    void killEverythingStarted() {
        dist.killAll();
    }

    private ProcessBuilder launcher(Path clone, Path cwd, String... args) {
        ProcessBuilder pb = Distribution.command(cwd, List.of(clone.resolve("masterwork").toString()), args);
        pb.environment().put("MASTERWORK_MVN_OPTS", "-o");
        return pb;
    }

    private static List<Path> builds(Path clone) throws IOException {
        Path dir = clone.resolve(".masterwork/builds");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    /** path -> sha-256 and mtime of every file under {@code dir}. */
    private static Map<String, String> fingerprint(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
                out.put(dir.relativize(f).toString(),
                        HexFormat.of().formatHex(digest) + " " + Files.getLastModifiedTime(f).toMillis());
            }
        }
        return out;
    }

    /** The jar files process {@code pid} holds open (the JVM keeps its class path jars open). */
    private static List<String> openJars(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return "";
                }
            }).filter(target -> target.endsWith(".jar")).toList();
        }
    }

    @Test
    void freshCloneBuildsOnceIntoVersionedDirectoriesAndARebuildLeavesARunningMasterAlone() throws Exception {
        Path clone = tmp.resolve("clone");
        // A clone the workers' user may read: as root, -t and a start refuse a clone under a 0700 directory (as
        // @TempDir's), naming it (SafeByDefaultIT).
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Distribution.Result cloned = dist.run(new ProcessBuilder("git", "clone", "-q", REPO.toString(), clone.toString()), 300);
        assertThat(cloned.exit()).as(cloned.toString()).isZero();

        // first command on a fresh clone: builds, then runs
        Distribution.Result first = dist.run(launcher(clone, clone, "-v"), BUILD_TIMEOUT_SECONDS);
        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(first.stdout()).startsWith("masterwork version " + Distribution.VERSION);
        List<Path> afterFirst = builds(clone);
        assertThat(afterFirst).hasSize(1);
        Path build1 = afterFirst.get(0);
        assertThat(build1.getFileName().toString()).matches(java.util.regex.Pattern.quote(Distribution.VERSION) + "-[0-9a-f]{12}");
        assertThat(build1.resolve("bin/masterwork")).isExecutable();
        assertThat(build1.resolve("conf/masterwork.conf")).exists();
        // the workers' class archive, written for this build's own path (WorkerArchiveIT: workers map it)
        assertThat(build1.resolve("lib/worker.jsa")).isRegularFile();
        assertThat(build1.resolve("lib/worker.jsa.partial")).doesNotExist();
        assertThat(Files.readSymbolicLink(clone.resolve(".masterwork/current")).toString())
                .isEqualTo("builds/" + build1.getFileName());

        // unchanged sources (the build's own target/ output included): no rebuild; and the repository's
        // own conf/masterwork.conf (prefix = current directory) passes the test
        Distribution.Result second = dist.run(launcher(clone, clone, "-t"), BUILD_TIMEOUT_SECONDS);
        assertThat(second.exit()).as(second.toString()).isZero();
        assertThat(second.stdout()).contains("configuration ok").contains(clone.resolve("conf/masterwork.conf").toString());
        assertThat(builds(clone)).containsExactly(build1);

        // a master started through the launcher is the launcher's own process (exec all the way down)
        Path prefix = tmp.resolve("prefix");
        int port = Distribution.freePort();
        Distribution.writeConfig(prefix, "worker_processes = 1\nworker_cpu_affinity = off\nlisten = \"127.0.0.1:" + port + "\"\n");
        Path pidFile = prefix.resolve("logs/masterwork.pid");
        Process master = launcher(clone, prefix, "-p", prefix.toString())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("master.out").toFile()).start();
        dist.track(master.pid());
        await().atMost(java.time.Duration.ofSeconds(120)).until(() -> Files.exists(pidFile) || !master.isAlive());
        assertThat(master.isAlive()).as(Files.readString(prefix.resolve("master.out"))).isTrue();
        assertThat(Long.parseLong(Files.readString(pidFile).trim())).isEqualTo(master.pid());
        assertThat(openJars(master.pid())).isNotEmpty().allMatch(jar -> jar.startsWith(build1.toString()));
        Map<String, String> build1Before = fingerprint(build1);

        // change a source file: the next command rebuilds into a new directory
        Path source = clone.resolve("master-core/src/main/java/io/masterwork/master/Version.java");
        Files.writeString(source, Files.readString(source) + "\n// changed by LauncherIT\n");
        Distribution.Result rebuilt = dist.run(launcher(clone, clone, "-v"), BUILD_TIMEOUT_SECONDS);
        assertThat(rebuilt.exit()).as(rebuilt.toString()).isZero();
        List<Path> afterRebuild = builds(clone);
        assertThat(afterRebuild).hasSize(2).contains(build1);
        Path build2 = afterRebuild.stream().filter(p -> !p.equals(build1)).findFirst().orElseThrow();
        assertThat(Files.readSymbolicLink(clone.resolve(".masterwork/current")).toString())
                .isEqualTo("builds/" + build2.getFileName());

        // the running master's jars are exactly as they were, and it still runs from them
        assertThat(fingerprint(build1)).isEqualTo(build1Before);
        assertThat(master.isAlive()).isTrue();
        assertThat(openJars(master.pid())).allMatch(jar -> jar.startsWith(build1.toString()));

        Distribution.Result stop = dist.run(launcher(clone, prefix, "-p", prefix.toString(), "-s", "stop"), BUILD_TIMEOUT_SECONDS);
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(master.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aFailedBuildShowsItsOutputAndRunsNothing() throws Exception {
        Path clone = tmp.resolve("clone");
        // A clone the workers' user may read: as root, -t and a start refuse a clone under a 0700 directory (as
        // @TempDir's), naming it (SafeByDefaultIT).
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Distribution.Result cloned = dist.run(new ProcessBuilder("git", "clone", "-q", REPO.toString(), clone.toString()), 300);
        assertThat(cloned.exit()).as(cloned.toString()).isZero();
        Path source = clone.resolve("master-core/src/main/java/io/masterwork/master/Version.java");
        Files.writeString(source, Files.readString(source) + "\nthis is not java\n");

        Distribution.Result r = dist.run(launcher(clone, clone, "-v"), BUILD_TIMEOUT_SECONDS);
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.stdout()).doesNotContain("masterwork version");
        assertThat(r.stderr()).contains("Version.java").contains("the build failed");
        assertThat(builds(clone)).isEmpty();
    }
}
