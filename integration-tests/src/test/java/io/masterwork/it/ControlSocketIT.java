package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.masterwork.master.control.ControlClient;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.TestDirectories;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue "Control socket, status and metrics", checked with real masters, the real CLI and other uids. */
class ControlSocketIT {
    private static final Duration ANSWER = Duration.ofSeconds(10);

    /**
     * One master for the tests that only ask it things or hold connections to it and close them (no reload, no change
     * of the worker count, no kill, its default socket mode): each of them leaves it as it found it, generation 1
     * with two ready workers, no command but status and metrics logged. Its control socket closes a client that
     * sends no complete command after {@link QuickControlTimeoutModule#READ_TIMEOUT_SECONDS} s, not 10.
     */
    private static RunningMaster shared;

    @BeforeAll
    static void startSharedMaster() throws IOException {
        shared = RunningMaster.builder().masterModules(QuickControlTimeoutModule.class).start();
        shared.awaitWorkers(2);
    }

    @AfterAll
    static void stopSharedMaster() {
        if (shared != null) {
            shared.close();
        }
    }

    record Cli(int exit, String out, String err) {
    }

    /** The masterwork command as a separate JVM (as bin/masterwork runs it), optionally under another uid. */
    private static Cli cli(Path prefix, List<String> runAs, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(runAs);
        cmd.addAll(RunningMaster.javaCommand(RunningMaster.lib(), "-p", prefix.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("masterwork-cli-", ".out");
        Path err = Files.createTempFile("masterwork-cli-", ".err");
        try {
            Process p = new ProcessBuilder(cmd).directory(prefix.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("masterwork " + String.join(" ", args) + " did not finish within 120 s");
            }
            return new Cli(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static Cli cli(RunningMaster master, String... args) throws Exception {
        return cli(master.prefix(), List.of(), args);
    }

    /** setpriv, not runuser: no PAM session, no login shell; just uid/gid 65534 (nobody) and no groups. */
    private static final List<String> AS_NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");

    private static Config json(String text) {
        return ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
    }

    private static Path socket(RunningMaster master) {
        return master.prefix().resolve("logs/masterwork.sock");
    }

    private static String ask(RunningMaster master, String command) throws IOException {
        try (ControlClient client = ControlClient.connect(socket(master))) {
            return client.ask(command, ANSWER);
        }
    }

    private static Set<Integer> livePids(Config status) {
        Set<Integer> pids = new HashSet<>();
        for (Config w : status.getConfigList("workers")) {
            if (!w.getIsNull("pid")) {
                pids.add(w.getInt("pid"));
            }
        }
        return pids;
    }

    @Test
    void statusListsExactlyTheLiveWorkersAndFollowsARespawn() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 3")) {
            List<Integer> workers = master.awaitWorkers(3);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket(master)))).isEqualTo("rw-------");

            Cli json = cli(master, "status", "--json");
            assertThat(json.exit()).as(json.err()).isZero();
            Config status = json(json.out());
            assertThat(status.getInt("pid")).isEqualTo(master.pid());
            assertThat(status.getLong("generation")).isEqualTo(1);
            assertThat(status.getStringList("listeners")).containsExactly("127.0.0.1:" + master.port());
            assertThat(livePids(status)).containsExactlyInAnyOrderElementsOf(ProcFs.children(master.pid()))
                    .containsExactlyInAnyOrderElementsOf(workers);
            for (Config w : status.getConfigList("workers")) {
                assertThat(w.getString("state")).isEqualTo("ready");
                assertThat(w.getLong("generation")).isEqualTo(1);
                assertThat(w.getInt("respawns")).isZero();
                assertThat(w.getDouble("uptime_seconds")).isPositive();
                assertThat(w.getIsNull("last_heartbeat_seconds_ago")).as("ready workers have answered").isFalse();
            }

            Cli table = cli(master, "status");
            assertThat(table.exit()).as(table.err()).isZero();
            assertThat(table.out()).contains("master " + master.pid()).contains("generation 1")
                    .contains("listening on 127.0.0.1:" + master.port()).contains("SLOT").contains("LAST EXIT");
            for (int w : workers) {
                assertThat(table.out()).containsPattern("(?m)^\\d+\\s+" + w + "\\s+1\\s+ready\\s");
            }

            int victim = workers.get(0);
            RunningMaster.kill("KILL", victim);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                Config s = json(ask(master, "status"));
                return !livePids(s).contains(victim) && livePids(s).size() == 3
                        && s.getConfigList("workers").stream().allMatch(w -> w.getString("state").equals("ready"));
            });
            Config after = json(ask(master, "status"));
            assertThat(livePids(after)).containsExactlyInAnyOrderElementsOf(ProcFs.children(master.pid()));
            assertThat(after.getConfigList("workers")).anySatisfy(w -> {
                assertThat(w.getInt("respawns")).isEqualTo(1);
                assertThat(w.getString("last_exit")).isEqualTo("killed by signal 9 (SIGKILL)");
            });
            assertThat(after.getLong("respawns_total")).isEqualTo(1);
        }
    }

    @Test
    void reloadThroughTheSocketWaitsAndReportsTheNewGeneration() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> old = master.awaitWorkers(2);
            Files.writeString(master.prefix().resolve("conf/masterwork.conf"),
                    "listen = \"127.0.0.1:" + master.port() + "\"\nworker_spares = 0\nworker_processes = 3\nworker_shutdown_timeout = 5s\n");
            Cli reload = cli(master, "-s", "reload");
            assertThat(reload.exit()).as(reload.err()).isZero();
            assertThat(reload.out()).startsWith("masterwork: reload complete: generation 2 serving, generation 1 gone");
            // Answered only when done: the old workers are gone by the time the command returns.
            old.forEach(w -> assertThat(ProcFs.exists(w)).as("old worker %d", w).isFalse());
            Config status = json(ask(master, "status"));
            assertThat(status.getLong("generation")).isEqualTo(2);
            assertThat(status.getLong("reloads")).isEqualTo(1);
            assertThat(status.getString("last_reload")).isEqualTo("ok");
            assertThat(livePids(status)).hasSize(3).doesNotContainAnyElementsOf(old)
                    .containsExactlyInAnyOrderElementsOf(ProcFs.children(master.pid()));
            assertThat(master.errorLog()).contains("control socket: \"reload\" from pid");
        }
    }

    @Test
    void aFailedReloadIsReportedWithTheLineAndTheOldGenerationServes() throws Exception {
        try (RunningMaster master = RunningMaster.start("");
             ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            List<Integer> old = master.awaitWorkers(2);
            Path conf = master.prefix().resolve("conf/masterwork.conf");

            // A file the master cannot take: the master's own answer names file and line.
            Files.writeString(conf, "listen = \"127.0.0.1:" + master.port() + "\"\nworker_procesess = 3\n");
            Config outcome;
            try (ControlClient client = ControlClient.connect(socket(master))) {
                outcome = json(client.ask("reload", Duration.ofSeconds(60)));
            }
            assertThat(outcome.getBoolean("ok")).isFalse();
            assertThat(outcome.getLong("generation")).isEqualTo(1);
            assertThat(outcome.getString("message")).contains(conf + ":2").contains("worker_procesess");

            // The command line reads the file too (as nginx -s does) and names the line before asking anything.
            Cli broken = cli(master, "-s", "reload");
            assertThat(broken.exit()).isEqualTo(1);
            assertThat(broken.err()).contains(conf + ":2").contains("worker_procesess");

            // A valid file whose new address is taken: only the master finds out, and -s reload says so.
            Files.writeString(conf, "listen = [\"127.0.0.1:" + master.port() + "\", \"127.0.0.1:" + taken.getLocalPort()
                    + "\"]\nworker_shutdown_timeout = 5s\n");
            Cli refused = cli(master, "-s", "reload");
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("reload failed, generation 1 goes on serving").contains("EADDRINUSE");

            assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(old);
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            Config status = json(ask(master, "status"));
            assertThat(status.getLong("failed_reloads")).isEqualTo(2);
            assertThat(status.getString("last_reload")).contains("EADDRINUSE");
            Map<String, Double> metrics = PrometheusCheck.parse(ask(master, "metrics") + "\n");
            assertThat(metrics).containsEntry("masterwork_reloads_failed_total", 2.0)
                    .containsEntry("masterwork_last_reload_success", 0.0);
        }
    }

    @Test
    void workersNChangesTheCountAndStatusFollows() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            assertThat(ask(master, "workers 3")).isEqualTo("ok: 3 workers in generation 1");
            List<Integer> three = master.awaitWorkers(3);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> livePids(json(ask(master, "status"))).equals(new HashSet<>(ProcFs.children(master.pid()))));
            assertThat(livePids(json(ask(master, "status")))).containsExactlyInAnyOrderElementsOf(three);
            assertThat(ask(master, "workers 0")).startsWith("error: the worker count must be between 1 and");
            assertThat(ask(master, "workers 1")).isEqualTo("ok: 1 workers in generation 1");
            master.awaitWorkers(1);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> livePids(json(ask(master, "status"))).equals(new HashSet<>(ProcFs.children(master.pid()))));
            assertThat(PrometheusCheck.parse(ask(master, "metrics") + "\n"))
                    .containsEntry("masterwork_workers_desired", 1.0)
                    .containsEntry("masterwork_workers{state=\"ready\"}", 1.0);
        }
    }

    @Test
    void anotherUidCannotConnectToTheDefaultSocket() throws Exception {
        RunningMaster master = shared;
        Cli nobody = cli(master.prefix(), AS_NOBODY, "status");
        assertThat(nobody.exit()).isEqualTo(1);
        assertThat(nobody.err()).contains("cannot connect to control socket " + socket(master))
                .contains("Permission denied");
        assertThat(master.errorLog()).doesNotContain("control socket: \"");
        assertThat(cli(master, "status").exit()).as("root still may").isZero();
    }

    @Test
    void anotherUidThatCanConnectIsRefusedByItsPeerCredentials() throws Exception {
        try (RunningMaster master = RunningMaster.start("modules.master = [\"" + OpenControlSocketModule.class.getName() + "\"]")) {
            master.awaitWorkers(2);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket(master)))).isEqualTo("rw-rw-rw-");
            Cli nobody = cli(master.prefix(), AS_NOBODY, "status");
            assertThat(nobody.exit()).isEqualTo(1);
            assertThat(nobody.err()).contains("the master refused: permission denied: uid 65534 is neither the master's uid 0 nor root");
            assertThat(nobody.out()).isEmpty();
            Cli reload = cli(master.prefix(), AS_NOBODY, "-s", "reload");
            assertThat(reload.exit()).isEqualTo(1);
            assertThat(reload.err()).contains("reload refused by the master: permission denied: uid 65534");
            assertThat(master.errorLog()).contains("control socket: refused pid").contains("(uid 65534)")
                    .doesNotContain("reconfiguring");
            assertThat(json(ask(master, "status")).getLong("generation")).isEqualTo(1);
        }
    }

    @Test
    void garbageAnOversizedLineAndStalledClientsLeaveTheMasterResponsive() throws Exception {
        RunningMaster master = shared;
        int timeout = QuickControlTimeoutModule.READ_TIMEOUT_SECONDS;
        try (SocketChannel garbage = open(master); SocketChannel huge = open(master); SocketChannel stalled = open(master)) {
            write(garbage, "\u0000\u00ff\u001b[2J hello\nstatus\n");
            assertThat(readAnswer(garbage)).startsWith("error: unknown command \"\\x00\\xff\\x1b[2J hello\"");
            assertThat(readAnswer(garbage)).as("the connection goes on").startsWith("{\"pid\":" + master.pid());

            write(huge, "x".repeat(100_000));
            assertThat(readAnswer(huge)).isEqualTo("error: command line longer than 4096 bytes");
            assertThat(readToEof(huge)).as("closed after the error").isEmpty();

            write(stalled, "stat");
            long before = System.nanoTime();
            // While it stalls, everyone else is served at once: the master never waits for it (asked from here,
            // not by a CLI JVM, whose start could outlast the stalled client's timeout on a loaded machine).
            assertThat(livePids(json(ask(master, "status")))).containsExactlyInAnyOrderElementsOf(master.workers());
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            assertThat(stalledSoFar(stalled)).as("the stalled client is still waiting while the others were served").isEmpty();
            assertThat(readAnswer(stalled)).isEqualTo("error: timed out: no complete command within " + timeout + " s");
            assertThat(readToEof(stalled)).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(Duration.ofMillis(timeout * 1000L - 500));
        }

        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                idle.add(open(master));
            }
            try (SocketChannel seventeenth = open(master)) {
                assertThat(readAnswer(seventeenth)).isEqualTo("error: too many control clients (at most 16 at once); try again later");
            }
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            // The idle ones time out like any stalled client, and the socket serves again.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions().until(() -> ask(master, "status").startsWith("{"));
        } finally {
            for (SocketChannel c : idle) {
                c.close();
            }
        }
        assertThat(master.isAlive()).isTrue();
        assertThat(master.errorLog()).doesNotContain("error while handling");
    }

    @Test
    void metricsParseAsPrometheusText() throws Exception {
        RunningMaster master = shared;
        String text = ask(master, "metrics") + "\n";
        Map<String, Double> metrics = PrometheusCheck.parse(text);
        assertThat(metrics).containsEntry("masterwork_workers{state=\"ready\"}", 2.0)
                .containsEntry("masterwork_workers{state=\"starting\"}", 0.0)
                .containsEntry("masterwork_workers_desired", 2.0)
                .containsEntry("masterwork_generation", 1.0)
                .containsEntry("masterwork_reloads_total", 0.0)
                .containsEntry("masterwork_reloads_failed_total", 0.0)
                .containsEntry("masterwork_worker_respawns_total", 0.0)
                .containsEntry("masterwork_last_reload_success", 1.0)
                .containsKey("masterwork_uptime_seconds");
        assertThat(metrics.keySet()).anyMatch(k -> k.startsWith("masterwork_info{") && k.contains("pid=\"" + master.pid() + "\""));
        assertThatThrownBy(() -> PrometheusCheck.parse("masterwork_x 1\n")).as("the check can fail")
                .hasMessageContaining("no HELP/TYPE");
        assertThatThrownBy(() -> PrometheusCheck.parse("# HELP a b\n# TYPE a gauge\na one\n"))
                .hasMessageContaining("not a number");
    }

    @Test
    void aStaleSocketIsReplacedALiveOneRefusesASecondMasterAndStatusSaysWhenNoneRuns() throws Exception {
        Path dir = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-it-ctl-"));
        Path shared = dir.resolve("ctl.sock");
        String config = "control_socket = \"" + shared + "\"";
        try {
            Path firstPrefix;
            try (RunningMaster first = RunningMaster.start(config)) {
                first.awaitWorkers(2);
                firstPrefix = first.prefix();
                RunningMaster.kill("KILL", first.pid());
                first.awaitExit(Duration.ofSeconds(20));
            }
            assertThat(shared).as("left behind by a master killed with SIGKILL").exists();
            Cli none = cli(firstPrefix, List.of(), "status");
            assertThat(none.exit()).isEqualTo(1);
            assertThat(none.err()).contains("no master running: nothing listens on control socket " + shared);

            try (RunningMaster second = RunningMaster.start(config)) {
                second.awaitWorkers(2);
                assertThat(second.errorLog()).contains("removed the stale control socket " + shared);
                try (ControlClient client = ControlClient.connect(shared)) {
                    assertThat(json(client.ask("status", ANSWER)).getInt("pid")).isEqualTo(second.pid());
                }
                assertThatThrownBy(() -> RunningMaster.start(config).close())
                        .hasMessageContaining("master exited with 1")
                        .hasMessageContaining("control socket " + shared + " is in use");
                try (ControlClient client = ControlClient.connect(shared)) {
                    assertThat(json(client.ask("status", ANSWER)).getInt("pid")).as("still the second's").isEqualTo(second.pid());
                }
                second.signal("QUIT");
                assertThat(second.awaitExit(Duration.ofSeconds(30))).isZero();
            }
            assertThat(shared).as("removed by the master that made it").doesNotExist();
        } finally {
            Files.deleteIfExists(shared);
            Files.deleteIfExists(dir);
        }
    }

    // ---- raw clients -------------------------------------------------------------------------

    private static SocketChannel open(RunningMaster master) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket(master)));
        return c;
    }

    private static void write(SocketChannel c, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private final Map<SocketChannel, StringBuilder> pending = new LinkedHashMap<>();

    /** One answer, up to its empty line, read with a bound (a blocking read on a helper thread would leak). */
    private String readAnswer(SocketChannel c) throws Exception {
        StringBuilder got = pending.computeIfAbsent(c, k -> new StringBuilder());
        c.configureBlocking(false);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (System.nanoTime() < deadline) {
            int end = got.indexOf("\n\n");
            if (end >= 0) {
                String answer = got.substring(0, end);
                got.delete(0, end + 2);
                return answer;
            }
            b.clear();
            int n = c.read(b);
            if (n < 0) {
                throw new AssertionError("EOF before a whole answer; got: " + got);
            }
            if (n == 0) {
                Thread.sleep(20);
            }
            got.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        }
        throw new AssertionError("no answer within 30 s; got: " + got);
    }

    /** What has arrived on {@code c} so far, without waiting. */
    private String stalledSoFar(SocketChannel c) throws Exception {
        StringBuilder got = pending.computeIfAbsent(c, k -> new StringBuilder());
        c.configureBlocking(false);
        ByteBuffer b = ByteBuffer.allocate(65536);
        int n = c.read(b);
        if (n < 0) {
            throw new AssertionError("closed while stalled; got: " + got);
        }
        got.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        return got.toString();
    }

    /** What arrives until the master closes the connection (bounded). */
    private String readToEof(SocketChannel c) throws Exception {
        StringBuilder got = pending.computeIfAbsent(c, k -> new StringBuilder());
        c.configureBlocking(false);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (System.nanoTime() < deadline) {
            b.clear();
            int n;
            try {
                n = c.read(b);
            } catch (IOException e) {
                return got.toString(); // reset: closed with our input unread
            }
            if (n < 0) {
                return got.toString();
            }
            if (n == 0) {
                Thread.sleep(20);
            }
            got.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        }
        throw new AssertionError("the master did not close the connection within 30 s");
    }

    /** A strict reader of Prometheus' text format: sample lines are name{labels} value, each metric with HELP and TYPE first. */
    static final class PrometheusCheck {
        private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
        private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\"";
        private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{" + LABEL + "(," + LABEL + ")*\\})? (\\S+)");
        private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") .+");
        private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");

        static Map<String, Double> parse(String text) {
            if (!text.endsWith("\n")) {
                throw new IllegalArgumentException("the text does not end with a newline");
            }
            Map<String, Double> samples = new LinkedHashMap<>();
            Set<String> helped = new HashSet<>();
            Set<String> typed = new HashSet<>();
            String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                Matcher m;
                if ((m = HELP.matcher(line)).matches()) {
                    helped.add(m.group(1));
                } else if ((m = TYPE.matcher(line)).matches()) {
                    if (!helped.contains(m.group(1))) {
                        throw new IllegalArgumentException("line " + (i + 1) + ": TYPE before HELP: " + line);
                    }
                    typed.add(m.group(1));
                } else if ((m = SAMPLE.matcher(line)).matches()) {
                    // A histogram's samples carry its name with _bucket, _sum or _count.
                    String family = m.group(1).replaceFirst("_(bucket|sum|count)$", "");
                    if (!typed.contains(m.group(1)) && !typed.contains(family)) {
                        throw new IllegalArgumentException("line " + (i + 1) + ": " + m.group(1) + " has no HELP/TYPE before it");
                    }
                    double value;
                    try {
                        value = Double.parseDouble(m.group(4));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("line " + (i + 1) + ": value is not a number: " + line);
                    }
                    String series = line.substring(0, line.lastIndexOf(' '));
                    if (samples.put(series, value) != null) {
                        throw new IllegalArgumentException("line " + (i + 1) + ": duplicate series " + series);
                    }
                } else {
                    throw new IllegalArgumentException("line " + (i + 1) + " is neither HELP, TYPE nor name{labels} value: " + line);
                }
            }
            return samples;
        }
    }
}
