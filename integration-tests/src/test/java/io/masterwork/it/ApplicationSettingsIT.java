package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.it.apps.ErrorOnDemandSettingsCheck;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.TestDirectories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 23 point 6 and issue 28: the applications' SettingsChecks never run in the master (root in this suite). The
 * workers run them as the worker user before their application starts: a refusal on reload is a refused reload (the old
 * workers serve on), at a first start the master exits 1 with the check's message; {@code -t} runs them in a
 * short-lived process of the worker user. Messages stay {@code file:line: key: problem}.
 *
 * <p>The checks: hello-app's (on every test worker's class path: {@code app.greeting} must not be empty) and
 * {@link ErrorOnDemandSettingsCheck}, registered only through {@link #checks}, a worker_class_path directory.
 */
class ApplicationSettingsIT {
    private static Path checks;

    @BeforeAll
    static void registerTheErrorThrowingCheck() throws IOException {
        checks = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-it-checks-"));
        Path services = checks.resolve("META-INF/services/io.masterwork.api.SettingsCheck");
        Files.createDirectories(services.getParent());
        Files.writeString(services, ErrorOnDemandSettingsCheck.class.getName() + "\n");
        try (Stream<Path> all = Files.walk(checks)) {
            for (Path p : all.toList()) {
                // readable by the workers' user (nobody): the master checks it as it checks every worker class path entry
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    @AfterAll
    static void removeChecks() throws IOException {
        try (Stream<Path> all = Files.walk(checks)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String config(String greeting) {
        return "worker_class_path = [\"" + checks + "\"]\napp {\n  greeting = \"" + greeting + "\"\n}\n";
    }

    /** The configuration file's line of {@code greeting} and of {@code app {}} (RunningMaster writes three lines first). */
    private static final int APP_LINE = 5;
    private static final int GREETING_LINE = 6;

    private static void rewrite(RunningMaster master, String greeting) throws IOException {
        Files.writeString(master.prefix().resolve("conf/masterwork.conf"), "worker_spares = 0, worker_processes = 2\nworker_shutdown_timeout = 5s\n"
                + "listen = \"127.0.0.1:" + master.port() + "\"\n" + config(greeting));
    }

    @Test
    void anApplicationCheckThatThrowsAnErrorOnReloadIsARefusedReload() throws Exception {
        try (RunningMaster master = RunningMaster.start(config("hi"))) {
            List<Integer> old = master.awaitWorkers(2);
            Path conf = master.prefix().resolve("conf/masterwork.conf");
            rewrite(master, "throw-an-error");

            RunningMaster.CommandResult reload = master.command("-s", "reload");
            assertThat(reload.exit()).as(reload.output()).isEqualTo(1);
            assertThat(reload.output()).contains("reload failed, generation 1 goes on serving: " + conf + ":" + APP_LINE
                    + ": app: " + ErrorOnDemandSettingsCheck.class.getName()
                    + " failed checking the section: java.lang.AssertionError: an application's check that throws an Error");
            assertThat(master.isAlive()).isTrue();
            // the rolled-back generation's other worker is told to terminate, and goes
            await().atMost(Duration.ofSeconds(20)).until(() -> new java.util.HashSet<>(master.workers()).equals(new java.util.HashSet<>(old)));
            for (int i = 0; i < 4; i++) {
                assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");
            }

            // A check's ConfigException keeps its key and line, as the master's own errors do.
            rewrite(master, "");
            reload = master.command("-s", "reload");
            assertThat(reload.exit()).as(reload.output()).isEqualTo(1);
            assertThat(reload.output()).contains(conf + ":" + GREETING_LINE + ": app.greeting: must not be empty");
            await().atMost(Duration.ofSeconds(20)).until(() -> new java.util.HashSet<>(master.workers()).equals(new java.util.HashSet<>(old)));

            // and a good file is the next generation
            rewrite(master, "hello again");
            reload = master.command("-s", "reload");
            assertThat(reload.exit()).as(reload.output()).isZero();
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":2");
        }
    }

    /** A spare promoted into the reload's generation checks the new sections at its promotion, as a fresh worker. */
    @Test
    @TimingSensitive
    void aSparePromotedIntoARefusedReloadSaysTheChecksMessage() throws Exception {
        // One worker: the reload's only new worker is the promoted spare (RunningMaster's header says 2; this line wins).
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1\n" + config("hi"))) {
            int spare = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("spare worker process (\\d+) \\(spare \\d+\\) ready")
                        .matcher(master.errorLog());
                return m.find() ? Integer.parseInt(m.group(1)) : -1;
            }, pid -> pid > 0);
            // the worker of generation 1: the master's children beside the spare, once both have said READY
            List<Integer> old = await().atMost(Duration.ofSeconds(60)).until(() -> master.workers().stream()
                    .filter(pid -> pid != spare && master.errorLog().matches("(?s).*worker process " + pid + " \\(slot \\d+\\) ready.*"))
                    .toList(), workers -> workers.size() == 1);
            Path conf = master.prefix().resolve("conf/masterwork.conf");
            Files.writeString(conf, "worker_processes = 1\nworker_shutdown_timeout = 5s\nlisten = \"127.0.0.1:" + master.port()
                    + "\"\nworker_spares = 1\n" + config(""));

            RunningMaster.CommandResult reload = master.command("-s", "reload");
            assertThat(reload.exit()).as(reload.output()).isEqualTo(1);
            assertThat(reload.output()).contains(conf + ":" + (GREETING_LINE + 1) + ": app.greeting: must not be empty");
            assertThat(master.errorLog()).contains("start worker process " + spare + " (slot ").contains("spare 0 promoted");
            // the promoted spare exited 2; the old workers serve on (a new spare may start beside them)
            await().atMost(Duration.ofSeconds(20)).until(() -> !ProcFs.exists(spare));
            assertThat(master.workers()).containsAll(old);
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");
        }
    }

    @Test
    void testRunsTheApplicationChecksAsTheWorkerUserAndKeepsItsMessageAndStatus() throws Exception {
        Path prefix = RunningMaster.newPrefixWith("listen = \"127.0.0.1:" + RunningMaster.freePort() + "\"\n" + config(""));
        Path conf = prefix.resolve("conf/masterwork.conf");
        RunningMaster.CommandResult test = RunningMaster.command(prefix, "-t");
        assertThat(test.exit()).as(test.output()).isEqualTo(1);
        assertThat(test.output()).contains("[emerg] " + conf + ":" + GREETING_LINE + ": app.greeting: must not be empty")
                .contains("masterwork: configuration file " + conf + " test failed");

        // Where the check ran: a process of the workers' user (nobody when the suite runs as root), not the CLI's.
        Files.writeString(conf, Files.readString(conf).replace("greeting = \"\"", "greeting = \"report-uid\""));
        test = RunningMaster.command(prefix, "-t");
        assertThat(test.exit()).as(test.output()).isEqualTo(1);
        String uid = ProcessHandle.current().info().user().orElse("").equals("root") ? "65534" : String.valueOf(
                Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        assertThat(test.output()).contains(conf + ":" + GREETING_LINE + ": app.greeting: checked as uid " + uid
                + " with prefix " + prefix);

        Files.writeString(conf, Files.readString(conf).replace("greeting = \"report-uid\"", "greeting = \"fine\""));
        test = RunningMaster.command(prefix, "-t");
        assertThat(test.exit()).as(test.output()).isZero();
        assertThat(test.output()).contains("test is successful");
    }

    @Test
    void aFirstGenerationWhoseApplicationCheckRefusesEndsTheMaster() throws Exception {
        long started = System.nanoTime();
        RunningMaster.CommandResult run = RunningMaster.runToEnd("worker_ready_timeout = 30s\n" + config(""), Duration.ofSeconds(60));
        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
        assertThat(run.output()).contains(": app.greeting: must not be empty")
                .contains("no worker of generation 1 could start, the master exits");
    }
}
