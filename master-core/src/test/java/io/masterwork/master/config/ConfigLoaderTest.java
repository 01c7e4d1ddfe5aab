package io.masterwork.master.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path prefix;

    private Path write(String text) throws IOException {
        Path file = prefix.resolve("conf/masterwork.conf");
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    private MasterConfiguration load(String text) throws IOException {
        return ConfigLoader.load(write(text), prefix);
    }

    /** Loads {@code text} expecting an error at {@code line} about {@code key}; returns the message. */
    private String rejected(String text, int line, String key) throws IOException {
        Path file = write(text);
        try {
            ConfigLoader.load(Path.of("conf/masterwork.conf"), prefix);
        } catch (ConfigurationException e) {
            assertThat(e.file()).isEqualTo(file.toString());
            assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
            if (key != null) {
                assertThat(e.key()).as(e.getMessage()).isEqualTo(key);
                assertThat(e.getMessage()).startsWith(file + ":" + line + ": " + key + ": ");
            }
            return e.getMessage();
        }
        throw new AssertionError("accepted:\n" + text);
    }

    @Test
    void emptyFileGivesEveryDefault() throws IOException {
        MasterConfiguration c = load("");
        assertThat(c.prefix()).isEqualTo(prefix.toAbsolutePath());
        assertThat(c.configFile()).isEqualTo(prefix.resolve("conf/masterwork.conf"));
        assertThat(c.workerProcesses()).isEqualTo(2);
        assertThat(c.workerCpuAffinity()).hasSize(2).allSatisfy(set -> assertThat(set.cardinality()).isEqualTo(1));
        assertThat(c.workerPriority()).isZero();
        assertThat(c.workerRlimitNofile()).isEmpty();
        assertThat(c.workerRlimitCore()).isEmpty();
        assertThat(c.workerShutdownTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.workerJvmOptions()).isEmpty();
        assertThat(c.user()).isEmpty();
        assertThat(c.group()).isEmpty();
        assertThat(c.pidFile()).isEqualTo(prefix.resolve("logs/masterwork.pid"));
        assertThat(c.errorLog()).isEqualTo(prefix.resolve("logs/error.log"));
        assertThat(c.errorLogLevel()).isEqualTo("notice");
        assertThat(c.daemon()).isFalse();
        assertThat(c.connectionHandover()).isTrue();
        assertThat(c.listen()).hasSize(1);
        assertThat(c.listen().get(0).getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(c.listen().get(0).getPort()).isEqualTo(8080);
        assertThat(c.masterModules()).isEmpty();
        assertThat(c.workerModules()).isEmpty();
        assertThat(c.workerClassPath()).isEmpty();
        // the application sections travel as written: their defaults are the applications', filled in by the workers
        assertThat(c.resolved().getObject("http")).isEmpty();
        assertThat(c.resolved().getString("pid")).isEqualTo("logs/masterwork.pid");
    }

    @Test
    void everyKeySet() throws IOException {
        MasterConfiguration c = load("""
                worker_processes = 3
                worker_cpu_affinity = ["0001", "0010"]
                worker_priority = -5
                worker_rlimit_nofile = 4096
                worker_rlimit_core = 512m
                worker_shutdown_timeout = 1m30s
                worker_jvm_options = ["-Xmx64m", "-XX:+UseSerialGC"]
                env = ["MASTERWORK_TEST_A=1", "PATH"]
                user = "nobody nogroup"
                pid = /run/mw.pid
                error_log = "log/err.log debug"
                daemon = true
                connection_handover = off
                listen = ["127.0.0.1:9000", "[::1]:9000", "9001"]
                http { keepalive_requests = 7 }
                modules { master = ["io.masterwork.master.config.NoOpModuleForTests"], worker = [] }
                """);
        assertThat(c.workerProcesses()).isEqualTo(3);
        BitSet cpu0 = new BitSet();
        cpu0.set(0);
        BitSet cpu1 = new BitSet();
        cpu1.set(1);
        assertThat(c.workerCpuAffinity()).containsExactly(cpu0, cpu1, cpu1);
        assertThat(c.workerPriority()).isEqualTo(-5);
        assertThat(c.workerRlimitNofile()).hasValue(4096);
        assertThat(c.workerRlimitCore()).hasValue(512L * 1024 * 1024);
        assertThat(c.workerShutdownTimeout()).isEqualTo(Duration.ofSeconds(90));
        // rendered for the workers in a form Typesafe's getDuration reads the same way
        assertThat(c.resolved().getDuration("worker_shutdown_timeout")).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.workerJvmOptions()).containsExactly("-Xmx64m", "-XX:+UseSerialGC");
        assertThat(c.workerEnvironment()).contains("MASTERWORK_TEST_A=1", "PATH=" + System.getenv("PATH"));
        assertThat(c.user()).hasValue("nobody");
        assertThat(c.group()).hasValue("nogroup");
        assertThat(c.pidFile()).isEqualTo(Path.of("/run/mw.pid"));
        assertThat(c.errorLog()).isEqualTo(prefix.resolve("log/err.log"));
        assertThat(c.errorLogLevel()).isEqualTo("debug");
        assertThat(c.daemon()).isTrue();
        assertThat(c.connectionHandover()).isFalse();
        assertThat(c.listen()).hasSize(3);
        assertThat(c.listen().get(2).getAddress().isAnyLocalAddress()).isTrue();
        assertThat(c.resolved().getInt("http.keepalive_requests")).isEqualTo(7);
        assertThat(c.resolved().hasPath("http.body")).isFalse();
        assertThat(c.masterModules()).containsExactly("io.masterwork.master.config.NoOpModuleForTests");
    }

    @Test
    void singleListenStringAndAutoWorkers() throws IOException {
        MasterConfiguration c = load("listen = \"[::1]:8081\"\nworker_processes = auto\nworker_cpu_affinity = off\n");
        assertThat(c.listen()).hasSize(1);
        assertThat(c.listen().get(0).getPort()).isEqualTo(8081);
        assertThat(c.workerProcesses()).isEqualTo(AllowedCpus.list().size());
        assertThat(c.workerCpuAffinity()).isEmpty();
    }

    @Test
    void unlimitedCoreIsRlimitInfinity() throws IOException {
        assertThat(load("worker_rlimit_core = unlimited").workerRlimitCore()).hasValue(io.masterwork.posix.Rlimit.INFINITY);
        assertThat(load("worker_rlimit_core = 0").workerRlimitCore()).hasValue(0);
    }

    @Test
    void bareNumberDurationIsSecondsForMasterAndWorkers() throws IOException {
        MasterConfiguration c = load("worker_shutdown_timeout = 3");
        assertThat(c.workerShutdownTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.resolved().getDuration("worker_shutdown_timeout")).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void envBareNameWithoutValueInMasterIsDropped() throws IOException {
        MasterConfiguration c = load("env = [\"MASTERWORK_SURELY_UNSET_VARIABLE\"]");
        assertThat(c.workerEnvironment()).noneMatch(e -> e.startsWith("MASTERWORK_SURELY_UNSET_VARIABLE"));
    }

    @Test
    void missingFile() {
        Path file = prefix.resolve("conf/nothere.conf");
        assertThatThrownBy(() -> ConfigLoader.load(Path.of("conf/nothere.conf"), prefix))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage(file + ": configuration file does not exist");
    }

    @Test
    void syntaxError() throws IOException {
        String message = rejected("worker_processes = 2\nlisten = [\"127.0.0.1:80\"\n\n", 4, null);
        assertThat(message).contains("masterwork.conf:4: ");
    }

    @Test
    void unresolvedSubstitution() throws IOException {
        String message = rejected("worker_processes = 2\npid = ${NO_SUCH_THING_ANYWHERE}\n", 2, null);
        assertThat(message).contains("NO_SUCH_THING_ANYWHERE");
    }

    @Test
    void unknownKeyWithSuggestion() throws IOException {
        String message = rejected("worker_processes = 2\n\nworker_proceses = 4\n", 3, "worker_proceses");
        assertThat(message).contains("unknown key").contains("did you mean \"worker_processes\"");
    }

    @Test
    void unknownKeyInsideModules() throws IOException {
        rejected("modules {\n  master = []\n  wroker = []\n}\n", 3, "modules.wroker");
    }

    @Test
    void wrongTypes() throws IOException {
        assertThat(rejected("worker_processes = many\n", 1, "worker_processes")).contains("\"many\"");
        rejected("daemon = 5\n", 1, "daemon");
        rejected("connection_handover = sometimes\n", 1, "connection_handover");
        rejected("\n\nworker_priority = [1]\n", 3, "worker_priority");
        rejected("worker_jvm_options = \"-Xmx1g\"\n", 1, "worker_jvm_options");
        rejected("worker_jvm_options = [\n  \"-Xmx1g\",\n  { a = 1 }\n]\n", 3, "worker_jvm_options");
        rejected("listen = { a = 1 }\n", 1, "listen");
        rejected("pid = null\n", 1, "pid");
        rejected("user = 5\n", 1, "user");
        rejected("modules = [1]\n", 1, "modules");
        rejected("http = 5\n", 1, "http");
        rejected("worker_shutdown_timeout = true\n", 1, "worker_shutdown_timeout");
        rejected("worker_rlimit_core = lots\n", 1, "worker_rlimit_core");
        rejected("worker_processes = 1.5\n", 1, "worker_processes");
    }

    @Test
    void outOfRange() throws IOException {
        assertThat(rejected("worker_priority = 25\n", 1, "worker_priority")).contains("between -20 and 19, got 25");
        rejected("worker_priority = -21\n", 1, "worker_priority");
        rejected("worker_processes = 0\n", 1, "worker_processes");
        rejected("worker_rlimit_nofile = 0\n", 1, "worker_rlimit_nofile");
        rejected("listen = [\"127.0.0.1:70000\"]\n", 1, "listen");
        rejected("listen = []\n", 1, "listen");
    }

    @Test
    void workerSparesDefaultsToAutoOrIsACountUpTo1024() throws IOException {
        assertThat(load("").workerSpares()).as("auto").isEmpty();
        assertThat(load("worker_spares = auto\n").workerSpares()).isEmpty();
        assertThat(load("worker_spares = 2\n").workerSpares()).hasValue(2);
        assertThat(load("worker_spares = 0\n").workerSpares()).hasValue(0);
        assertThat(rejected("\nworker_spares = -1\n", 2, "worker_spares")).contains("between 0 and 1024 or \"auto\", got -1");
        rejected("worker_spares = 1025\n", 1, "worker_spares");
        rejected("worker_spares = two\n", 1, "worker_spares");
        rejected("worker_spare = 1\n", 1, null);
    }

    @Test
    void workerSparePriorityIsIdleByDefaultOrNormal() throws IOException {
        assertThat(load("").workerSparesIdle()).isTrue();
        assertThat(load("worker_spare_priority = normal\n").workerSparesIdle()).isFalse();
        assertThat(load("worker_spare_priority = idle\n").workerSparesIdle()).isTrue();
        assertThat(rejected("\nworker_spare_priority = nice19\n", 2, "worker_spare_priority"))
                .contains("must be idle or normal, got \"nice19\"");
        rejected("worker_spare_priority = 19\n", 1, "worker_spare_priority");
    }

    @Test
    void badValues() throws IOException {
        rejected("worker_shutdown_timeout = 10x\n", 1, "worker_shutdown_timeout");
        rejected("worker_cpu_affinity = [\"01\", \"2\"]\n", 1, "worker_cpu_affinity");
        rejected("worker_cpu_affinity = [\"00\"]\n", 1, "worker_cpu_affinity");
        rejected("worker_cpu_affinity = sometimes\n", 1, "worker_cpu_affinity");
        assertThat(rejected("error_log = \"logs/e.log loud\"\n", 1, "error_log")).contains("unknown log level \"loud\"");
        rejected("user = \"a b c\"\n", 1, "user");
        assertThat(rejected("user = \"no_such_user_here\"\n", 1, "user")).contains("no such user \"no_such_user_here\"");
        assertThat(rejected("user = \"nobody no_such_group_here\"\n", 1, "user")).contains("no such group");
        // nginx: "user u" alone means the group named u (Debian's nobody has none: its group is nogroup).
        if (io.masterwork.posix.NativePosix.get().lookupGroup("nobody") == null) {
            assertThat(rejected("user = \"nobody\"\n", 1, "user")).contains("no group named \"nobody\"");
        }
        rejected("env = [\"1BAD=x\"]\n", 1, "env");
        rejected("listen = [\"127.0.0.1:8080\", \"127.0.0.1:8080\"]\n", 1, "listen");
        rejected("listen = [\n  \"127.0.0.1:8080\",\n  \"::1:8080\"\n]\n", 3, "listen");
        rejected("worker_class_path = [\"lib/missing.jar\"]\n", 1, "worker_class_path");
    }

    @Test
    void modulesMustBeGuiceModulesOnTheClassPath() throws IOException {
        assertThat(rejected("modules.master = [\"com.example.NoSuchModule\"]\n", 1, "modules.master"))
                .contains("not found");
        assertThat(rejected("modules.worker = [\"java.lang.String\"]\n", 1, "modules.worker"))
                .contains("not a Guice module");
        rejected("modules.master = [\"not a class\"]\n", 1, "modules.master");
    }

    /**
     * Issue 23: application code never runs in the (root) master. The SettingsChecks on the test class path and on
     * worker_class_path would refuse these sections; the master passes them on untouched for the workers to check.
     */
    @Test
    void applicationSectionsAreNotCheckedByTheMaster() throws IOException {
        MasterConfiguration http = load("worker_processes = 1\nhttp {\n  keepalive_requests = 0\n}\n");
        assertThat(http.resolved().getInt("http.keepalive_requests")).isZero();
        assertThat(http.resolved().hasPath("http.body")).isFalse();

        assertThat(load("app {\n  greeting = hello\n}\n").resolved().getString("app.greeting")).isEqualTo("hello");

        Path app = prefix.resolve("app-classes");
        Path services = app.resolve("META-INF/services/io.masterwork.api.SettingsCheck");
        Files.createDirectories(services.getParent());
        Files.writeString(services, AppSettingsCheckForTests.class.getName() + "\n");
        MasterConfiguration c = load("worker_class_path = [app-classes]\napp {\n  greeting = \"  \"\n}\n");
        assertThat(c.workerClassPath()).containsExactly(app);
        assertThat(c.resolved().getString("app.greeting")).isBlank();
        assertThat(AppSettingsCheckForTests.calls).hasValue(0);
        assertThat(HttpSettingsCheckForTests.calls).hasValue(0);
    }

    /** Issue 28: the commands that talk to a running master read only pid and control_socket, whatever else is wrong. */
    @Test
    void controlKeysAreReadWhateverElseTheFileSays() throws IOException {
        Path file = Path.of("conf/masterwork.conf");
        write("worker_class_path = [\"lib/missing.jar\"]\npid = run/mw.pid\ncontrol_socket = run/mw.sock\n");
        ConfigLoader.ControlKeys keys = ConfigLoader.controlKeys(file, prefix);
        assertThat(keys.pidFile()).isEqualTo(prefix.resolve("run/mw.pid"));
        assertThat(keys.controlSocket()).contains(prefix.resolve("run/mw.sock"));

        // a broken file, or a wrong value of the key itself: the defaults
        write("pid = [\n");
        keys = ConfigLoader.controlKeys(file, prefix);
        assertThat(keys.pidFile()).isEqualTo(prefix.resolve("logs/masterwork.pid"));
        assertThat(keys.controlSocket()).contains(prefix.resolve("logs/masterwork.sock"));
        write("pid = \"\"\ncontrol_socket = off\n");
        keys = ConfigLoader.controlKeys(file, prefix);
        assertThat(keys.pidFile()).isEqualTo(prefix.resolve("logs/masterwork.pid"));
        assertThat(keys.controlSocket()).isEmpty();
        Files.delete(prefix.resolve(file));
        assertThat(ConfigLoader.controlKeys(file, prefix).pidFile()).isEqualTo(prefix.resolve("logs/masterwork.pid"));
    }

    @Test
    void applicationSectionsMustBeSections() throws IOException {
        rejected("app = 5\n", 1, "app");
    }

    @Test
    void errorsInIncludedFilesNameThatFile() throws IOException {
        Path included = prefix.resolve("conf/workers.conf");
        Files.createDirectories(included.getParent());
        Files.writeString(included, "\nworker_priority = 99\n");
        write("include \"workers.conf\"\n");
        assertThatThrownBy(() -> ConfigLoader.load(Path.of("conf/masterwork.conf"), prefix))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith(included + ":2: worker_priority: ");
    }

    @Test
    void systemPropertiesDoNotLeakIn() throws IOException {
        // ConfigFactory.load() would turn `user` into an object from -Duser.name etc.
        MasterConfiguration c = load("");
        assertThat(c.user()).isEmpty();
        assertThat(c.resolved().getIsNull("user")).isTrue();
    }

    @Test
    void defaultsListEveryGetterKey() {
        assertThat(ConfigLoader.defaults().root().keySet()).containsExactlyInAnyOrder(
                "worker_processes", "worker_cpu_affinity", "worker_priority", "worker_rlimit_nofile",
                "worker_rlimit_core", "worker_shutdown_timeout", "worker_ready_timeout", "worker_watchdog_timeout", "worker_crash_limit",
                "worker_crash_window", "worker_respawn_backoff", "worker_respawn_backoff_max", "worker_spares", "worker_spare_priority", "worker_jvm_options",
                "worker_class_path", "env",
                "user", "pid", "error_log", "control_socket", "status_listen", "status_auth", "daemon", "listen", "http", "app", "modules",
                "connection_handover");
        assertThat(List.copyOf(ConfigLoader.defaults().getConfig("modules").root().keySet()))
                .containsExactlyInAnyOrder("master", "worker");
    }

    @Test
    void aRunawayNestingIsAnErrorInTheFileNotAStackOverflow() throws IOException {
        assertThat(rejected("a = " + "[".repeat(50_000), -1, null)).contains("nested too deeply");
        assertThat(rejected("app { x = " + "{ y = ".repeat(50_000) + " }", -1, null)).contains("nested too deeply");
    }

    @Test
    void aMegabyteKeyIsNamedInABoundedMessage() throws IOException {
        String message = rejected("worker_processes = 2\n" + "x".repeat(1 << 20) + " = 1\n", 2, null);
        assertThat(message.length()).isLessThan(1000);
        assertThat(message).contains("xxxx").contains("characters)");
    }
}
