package io.masterwork.distribution;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line as an operator uses it, on the assembled distribution; none of these start a master. */
class CommandLineIT {
    @TempDir
    Path prefix;

    private final Distribution dist = new Distribution();

    @AfterEach
    void killEverythingStarted() {
        dist.killAll();
    }

    @Test
    void versionGoesToStdout() {
        Distribution.Result r = dist.run(prefix, "-v");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.stdout()).startsWith("masterwork version " + Distribution.VERSION);
    }

    @Test
    void helpListsTheOptions() {
        Distribution.Result r = dist.run(prefix, "-h");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("-c=file", "-p=prefix", "-t", "-s=signal", "-v");
    }

    @Test
    void unknownOptionFails() {
        Distribution.Result r = dist.run(prefix, "-x");
        assertThat(r.exit()).as(r.toString()).isNotZero();
        assertThat(r.stderr()).contains("Unknown option: '-x'");
    }

    @Test
    void testAcceptsTheShippedConfigurationAndTouchesNothing() {
        Distribution.Result r = dist.run(prefix, "-p", Distribution.HOME.toString(), "-t");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("configuration ok")
                .contains(Distribution.HOME.resolve("conf/masterwork.conf").toString());
        assertThat(Distribution.HOME.resolve("logs")).doesNotExist();
    }

    @Test
    void testWithRelativeConfigResolvesAgainstThePrefix() throws IOException {
        Distribution.writeConfig(prefix, ""); // a prefix the workers may enter (-t checks it as root)
        Files.createDirectories(prefix.resolve("etc"));
        Files.writeString(prefix.resolve("etc/other.conf"), "worker_processes = 1\n");
        Distribution.Result r = dist.run(Path.of("/"), "-p", prefix.toString(), "-c", "etc/other.conf", "-t");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains(prefix.resolve("etc/other.conf").toString());
    }

    @Test
    void testNamesTheMissingFile() {
        Distribution.Result r = dist.run(prefix, "-t");
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains(prefix.resolve("conf/masterwork.conf") + ": configuration file does not exist")
                .contains("test failed");
    }

    @Test
    void testNamesFileLineAndKeyForEachKindOfMistake() throws IOException {
        Path conf = prefix.resolve("conf/masterwork.conf");
        assertRejected("worker_processes = 2\nlisten = [\"127.0.0.1:80\"\n", conf + ":3: ");
        assertRejected("worker_processes = 2\nworker_prosesses = 4\n", conf + ":2: worker_prosesses: unknown key");
        assertRejected("\ndaemon = maybe\n", conf + ":2: daemon: expected true or false");
        assertRejected("worker_priority = 40\n", conf + ":1: worker_priority: must be between -20 and 19, got 40");
        assertRejected("worker_shutdown_timeout = 10 parsecs\n", conf + ":1: worker_shutdown_timeout: invalid duration");
        assertRejected("listen = [\"127.0.0.1:99999\"]\n", conf + ":1: listen: port 99999 out of range");
        // the http section is checked by the built-in application's own SettingsCheck (worker-core, in lib/)
        assertRejected("http {\n  keepalive_timeout = forever\n}\n", conf + ":2: http.keepalive_timeout: ");
        assertRejected("http {\n  keepalive_timout = 5s\n}\n", conf + ":2: http.keepalive_timout: ");
    }

    private void assertRejected(String config, String expected) throws IOException {
        Distribution.writeConfig(prefix, config);
        Distribution.Result r = dist.run(prefix, "-t");
        assertThat(r.exit()).as(config + "\n" + r).isEqualTo(1);
        assertThat(r.stderr()).as(config).contains(expected);
        assertThat(r.stdout()).doesNotContain("configuration ok");
    }

    @Test
    void signalWithoutPidFileFailsClearly() throws IOException {
        Distribution.writeConfig(prefix, "worker_processes = 1\n");
        for (String signal : new String[] {"stop", "quit", "reload", "reopen"}) {
            Distribution.Result r = dist.run(prefix, "-s", signal);
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.stderr()).contains(prefix.resolve("logs/masterwork.pid") + " does not exist")
                    .contains("is masterwork running?");
        }
    }

    @Test
    void signalWithStalePidFileFailsClearlyAndSignalsNobody() throws Exception {
        Distribution.writeConfig(prefix, "worker_processes = 1\n");
        // a live process that is not a masterwork master must never be signalled
        Process bystander = new ProcessBuilder("sleep", "60").start();
        dist.track(bystander.pid());
        Files.createDirectories(prefix.resolve("logs"));
        Files.writeString(prefix.resolve("logs/masterwork.pid"), bystander.pid() + "\n");

        Distribution.Result r = dist.run(prefix, "-s", "stop");
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("not a masterwork master").contains("stale pid file");
        assertThat(bystander.isAlive()).isTrue();
    }

    @Test
    void invalidSignalNameFails() throws IOException {
        Distribution.writeConfig(prefix, "worker_processes = 1\n");
        Distribution.Result r = dist.run(prefix, "-s", "restart");
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("invalid signal \"restart\"");
    }

    @Test
    void masterJavaOptionsAreHonoured() {
        ProcessBuilder pb = Distribution.command(prefix, java.util.List.of(Distribution.bin().toString()), "-v");
        pb.environment().put("MASTERWORK_JAVA_OPTS", "-XX:+MasterworkNoSuchVmFlag");
        Distribution.Result r = dist.run(pb, 60);
        assertThat(r.exit()).as(r.toString()).isNotZero();
        assertThat(r.stderr()).contains("MasterworkNoSuchVmFlag");
    }

    @Test
    void javaHomeIsHonoured() {
        ProcessBuilder pb = Distribution.command(prefix, java.util.List.of(Distribution.bin().toString()), "-v");
        pb.environment().put("JAVA_HOME", prefix.resolve("no-jdk-here").toString());
        Distribution.Result r = dist.run(pb, 60);
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("JAVA_HOME is set to").contains("no-jdk-here");

        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Distribution.Result ok = dist.run(pb, 60);
        assertThat(ok.exit()).as(ok.toString()).isZero();
    }

    @Test
    void libJarsAreReadableByEveryUser() throws IOException {
        try (Stream<Path> jars = Files.list(Distribution.HOME.resolve("lib"))) {
            // every jar, the workers' and the master's class archives with the records of their training
            // (WorkerArchiveIT), the native libraries' directory, and master/: the jars only the master loads (the
            // status page's), never on a worker's path
            assertThat(jars).isNotEmpty().allSatisfy(jar -> {
                assertThat(jar.getFileName().toString()).matches(".*\\.jar|(worker|master)\\.jsa(\\.trained)?|native|master");
                assertThat(Files.getPosixFilePermissions(jar)).contains(PosixFilePermission.OTHERS_READ);
            });
        }
        try (Stream<Path> natives = Files.list(Distribution.HOME.resolve("lib/native"))) {
            assertThat(natives).extracting(p -> p.getFileName().toString())
                    .containsExactlyInAnyOrder("libjffi-1.2.so", "libnetty_transport_native_epoll_x86_64.so");
        }
        assertThat(Files.getPosixFilePermissions(Distribution.HOME.resolve("lib/native")))
                .contains(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);
        try (Stream<Path> masterJars = Files.list(Distribution.HOME.resolve("lib/master"))) {
            assertThat(masterJars).isNotEmpty().allSatisfy(jar -> {
                assertThat(jar.getFileName().toString()).endsWith(".jar");
                assertThat(Files.getPosixFilePermissions(jar)).contains(PosixFilePermission.OTHERS_READ);
            });
        }
        Set<PosixFilePermission> lib = Files.getPosixFilePermissions(Distribution.HOME.resolve("lib"));
        assertThat(lib).contains(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);
        assertThat(Files.isExecutable(Distribution.bin())).isTrue();
        assertThat(Distribution.HOME.resolve("lib/master-core-" + Distribution.VERSION + ".jar")).exists();
        assertThat(Distribution.HOME.resolve("lib/worker-core-" + Distribution.VERSION + ".jar")).exists();
    }
}
