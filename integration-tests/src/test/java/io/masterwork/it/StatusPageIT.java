package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.TestDirectories;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 26: the master's status page and /metrics over HTTP ({@code status_listen}), with a real master and two
 * real workers: Prometheus' own promtool finds nothing to say about the exposition after a reload and a killed
 * worker, and the per-worker request counters add up to exactly the requests this test sent.
 */
class StatusPageIT {
    private static final Pattern REQUESTS = Pattern.compile("(?m)^masterwork_worker_requests_total\\{slot=\"(\\d+)\"} (\\S+)$");

    /**
     * One master with a status page for the tests that only read from it and close what they open (no reload, no
     * kill, no count of requests): each leaves it as it found it.
     */
    private static RunningMaster shared;
    private static int sharedStatusPort;

    @BeforeAll
    static void startSharedMaster() throws IOException {
        sharedStatusPort = RunningMaster.freePort();
        shared = RunningMaster.start("status_listen = \"127.0.0.1:" + sharedStatusPort + "\"\n");
        shared.awaitWorkers(2);
    }

    @AfterAll
    static void stopSharedMaster() {
        if (shared != null) {
            shared.close();
        }
    }

    /** A tool the test needs: missing, the test fails on CI (CI=true) and is skipped elsewhere, saying why. */
    static void requireTool(String path, String debianPackage) {
        if (Files.isExecutable(Path.of(path))) {
            return;
        }
        String why = path + " is missing: install Debian's " + debianPackage + " (.ci/run does)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(why);
        }
        Assumptions.abort(why);
    }

    @Test
    void metricsArePromtoolCleanAndCountEveryRequestAcrossAReloadAndAKilledWorker() throws Exception {
        requireTool("/usr/bin/promtool", "prometheus (with --no-install-recommends)");
        int statusPort = RunningMaster.freePort();
        try (RunningMaster master = RunningMaster.start("status_listen = \"127.0.0.1:" + statusPort + "\"\n")) {
            List<Integer> first = master.awaitWorkers(2);
            assertThat(master.errorLog()).contains("status page on http://127.0.0.1:" + statusPort + "/");
            int sent = sendRequests(master.port(), 40);
            String before = metrics(statusPort);
            assertThat(requestsBySlot(before).values().stream().mapToLong(Long::longValue).sum()).isEqualTo(sent);
            assertThat(before).contains("masterwork_worker_report_answered{slot=");
            assertThat(promtool(before)).isEmpty();

            RunningMaster.CommandResult reload = master.command("-s", "reload");
            assertThat(reload.exit()).as(reload.output()).isZero();
            List<Integer> second = awaitAllReplaced(master, first);
            sent += sendRequests(master.port(), 30);
            String afterReload = metrics(statusPort);
            assertThat(requestsBySlot(afterReload).values().stream().mapToLong(Long::longValue).sum())
                    .as("the exited generation's requests are kept by the master").isEqualTo(sent);
            assertThat(afterReload).contains("masterwork_reloads_total 1").contains("masterwork_reload_duration_seconds_count 1");

            int victim = second.get(0);
            RunningMaster.kill("KILL", victim);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !master.workers().contains(victim) && master.workers().size() == 2);
            master.awaitWorkers(2);
            sent += sendRequests(master.port(), 20);
            String afterKill = metrics(statusPort);
            Map<Integer, Long> bySlot = requestsBySlot(afterKill);
            assertThat(bySlot.values().stream().mapToLong(Long::longValue).sum())
                    .as("requests per slot after a kill -9: %s", bySlot).isEqualTo(sent);
            assertThat(afterKill).contains("masterwork_worker_respawns_by_cause_total{cause=\"killed\"} 1")
                    .contains("masterwork_worker_respawns_total 1");
            assertThat(answered(afterKill)).as("every live worker answered in time").containsOnly(1.0).hasSize(2);
            assertThat(afterKill).contains("masterwork_worker_heap_used_bytes{slot=").contains("masterwork_worker_threads{slot=");
            assertThat(promtool(afterKill)).as("promtool check metrics on:\n%s", afterKill).isEmpty();

            // The control socket's metrics answers the same text: the same families, the same per-slot requests.
            String viaSocket;
            try (io.masterwork.master.control.ControlClient client = io.masterwork.master.control.ControlClient.connect(
                    master.prefix().resolve("logs/masterwork.sock"))) {
                viaSocket = client.ask("metrics", Duration.ofSeconds(10));
            }
            assertThat(families(viaSocket)).isEqualTo(families(afterKill));
            assertThat(requestsBySlot(viaSocket)).isEqualTo(bySlot);
        }
    }

    @Test
    void statusIsTheControlSocketsJsonWithTheWorkersFiguresAndTheHistory() throws Exception {
        int statusPort = RunningMaster.freePort();
        try (RunningMaster master = RunningMaster.start("status_listen = \"127.0.0.1:" + statusPort + "\"\n")) {
            List<Integer> workers = master.awaitWorkers(2);
            sendRequests(master.port(), 5);
            Http.Response response = Http.get(statusPort, "/status");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers()).containsIgnoringCase("content-type: application/json");
            Config status = json(response.text());
            assertThat(status.getInt("pid")).isEqualTo(master.pid());
            List<Integer> pids = new ArrayList<>();
            long requests = 0;
            for (Config w : status.getConfigList("workers")) {
                pids.add(w.getInt("pid"));
                requests += w.getLong("requests");
            }
            assertThat(pids).containsExactlyInAnyOrderElementsOf(workers);
            assertThat(requests).isEqualTo(5);
            assertThat(status.getConfigList("history")).isEmpty();

            RunningMaster.kill("KILL", workers.get(0));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                    json(Http.get(statusPort, "/status").text()).getConfigList("history").size() == 1);
            Config event = json(Http.get(statusPort, "/status").text()).getConfigList("history").get(0);
            assertThat(event.getString("kind")).isEqualTo("respawn");
            assertThat(event.getInt("pid")).isEqualTo(workers.get(0));
            assertThat(event.getString("outcome")).isEqualTo("killed");

            Http.Response page = Http.get(statusPort, "/");
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.headers()).containsIgnoringCase("content-type: text/html");
            // Everything ships in the jar: nothing from another host.
            assertThat(page.text().replace("\"http://www.w3.org/2000/svg\"", "")) // a namespace name, never fetched
                    .contains("<title>masterwork status</title>").doesNotContain("http://").doesNotContain("https://")
                    .doesNotContain("src=").doesNotContain("<link").doesNotContain("@import").doesNotContain("url(");
            assertThat(Http.get(statusPort, "/nothing").status()).isEqualTo(404);
            assertThat(Http.post(statusPort, "/status").status()).isEqualTo(405);
        }
    }

    /**
     * A worker whose loop is blocked never answers REPORT: the scrape is answered when the short deadline passes (the
     * master never waits on its loop), that worker marked as not having answered and the other as having answered.
     * This application counts no requests: no request series rather than false zeros.
     */
    @Test
    void aWorkerThatDoesNotAnswerIsMarkedAndHoldsNoScrapeUp() throws Exception {
        int statusPort = RunningMaster.freePort();
        try (RunningMaster master = RunningMaster.start("status_listen = \"127.0.0.1:" + statusPort + "\"\n"
                + "worker_watchdog_timeout = off\n"
                + "modules { worker = [\"io.masterwork.it.apps.BlockingLoopModule\"] }")) {
            List<Integer> workers = master.awaitWorkers(2);
            assertThat(answered(metrics(statusPort))).containsExactly(1.0, 1.0);
            try (Socket blocker = new Socket("127.0.0.1", master.port())) {
                blocker.getOutputStream().write("block\n".getBytes(StandardCharsets.US_ASCII));
                blocker.getOutputStream().flush();
                int hung = await().atMost(Duration.ofSeconds(10)).until(() -> workers.stream()
                        .filter(w -> ProcFs.tcpPeerPorts(w, master.port()).contains(blocker.getLocalPort()))
                        .findFirst().orElse(-1), w -> w > 0);
                int hungSlot = -1;
                for (Config w : json(Http.get(statusPort, "/status").text()).getConfigList("workers")) {
                    if (w.getInt("pid") == hung) {
                        hungSlot = w.getInt("slot");
                    }
                }
                long start = System.nanoTime();
                String text = metrics(statusPort);
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(millis).as("a scrape waits for a silent worker only until its deadline").isLessThan(5_000);
                assertThat(text).contains("masterwork_worker_report_answered{slot=\"" + hungSlot + "\"} 0.0");
                assertThat(answered(text)).containsExactlyInAnyOrder(0.0, 1.0);
                assertThat(text).doesNotContain("masterwork_worker_requests_total{");
                assertThat(text).contains("masterwork_worker_heap_used_bytes{slot=\"" + hungSlot + "\"}");
                // The master's loop is free meanwhile: the control socket answers at once.
                RunningMaster.CommandResult status = master.command("status");
                assertThat(status.exit()).as(status.output()).isZero();
            }
        }
    }

    @Test
    void aClientCannotHoldTheMasterAndAHugeHeadIsRefused() throws Exception {
        int statusPort = sharedStatusPort;
        RunningMaster master = shared;
        try (Socket silent = new Socket()) {
            silent.connect(new InetSocketAddress("127.0.0.1", statusPort), 2000);
            // A client that says nothing holds no one else up: the page answers others meanwhile.
            assertThat(Http.get(statusPort, "/metrics").status()).isEqualTo(200);
            try (Socket huge = new Socket()) {
                huge.connect(new InetSocketAddress("127.0.0.1", statusPort), 2000);
                huge.setSoTimeout(10_000);
                OutputStream out = huge.getOutputStream();
                out.write(("GET / HTTP/1.1\r\nX-Filler: " + "x".repeat(9000) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(new String(huge.getInputStream().readNBytes(12), StandardCharsets.US_ASCII))
                        .isEqualTo("HTTP/1.1 431");
            }
            assertThat(master.isAlive()).isTrue();
        }
    }

    @Test
    void aWorkersClassPathHoldsNoneOfTheMastersOwnJars() throws Exception {
        int statusPort = sharedStatusPort;
        RunningMaster master = shared;
        int worker = master.awaitWorkers(2).get(0);
        String classPath = jcmdClassPath(worker);
        assertThat(classPath).contains("channel-proto").contains("worker-api");
        assertThat(classPath).doesNotContain("prometheus").doesNotContain("jbcrypt");
        // The master's has them (it serves /metrics with them).
        assertThat(Http.get(statusPort, "/metrics").text()).contains("# TYPE masterwork_info gauge");
    }

    @Test
    void statusAuthTakesTheBcryptAndShaLinesHtpasswdWritesAndNothingElse() throws Exception {
        requireTool("/usr/bin/htpasswd", "apache2-utils");
        Path dir = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-it-htpasswd-"));
        Path file = dir.resolve("status.htpasswd");
        run("/usr/bin/htpasswd", "-c", "-b", "-B", file.toString(), "alice", "s3cret-a");
        run("/usr/bin/htpasswd", "-b", "-s", file.toString(), "bob", "s3cret-b");
        assertThat(Files.readString(file)).contains("alice:$2y$").contains("bob:{SHA}");
        int statusPort = RunningMaster.freePort();
        try (RunningMaster master = RunningMaster.start("status_listen = \"127.0.0.1:" + statusPort + "\"\n"
                + "status_auth = \"" + file + "\"\n")) {
            master.awaitWorkers(2);
            Http.Response none = Http.get(statusPort, "/metrics");
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.headers()).contains("WWW-Authenticate: Basic realm=\"masterwork status\"");
            assertThat(get(statusPort, "/metrics", "alice", "wrong").status()).isEqualTo(401);
            assertThat(get(statusPort, "/metrics", "carol", "s3cret-a").status()).isEqualTo(401);
            assertThat(get(statusPort, "/metrics", "alice", "s3cret-a").status()).isEqualTo(200);
            assertThat(get(statusPort, "/", "bob", "s3cret-b").status()).isEqualTo(200);
            assertThat(get(statusPort, "/status", "bob", "s3cret-a").status()).isEqualTo(401);
        }
        // An MD5 line ($apr1$, htpasswd -m) is refused at start, naming the file and the line.
        run("/usr/bin/htpasswd", "-b", "-m", file.toString(), "carol", "s3cret-c");
        String refused = configurationTest("listen = \"127.0.0.1:" + RunningMaster.freePort() + "\"\n"
                + "status_listen = \"127.0.0.1:" + RunningMaster.freePort() + "\"\nstatus_auth = \"" + file + "\"\n");
        assertThat(refused).contains("status_auth").contains(file + ":3").contains("neither bcrypt");
    }

    private static Http.Response get(int port, String path, String user, String password) throws IOException {
        String credentials = java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic " + credentials
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return Http.read(s.getInputStream());
        }
    }

    /** {@code masterwork -t} on a configuration that must be refused: what it printed. */
    private static String configurationTest(String config) throws Exception {
        Path prefix = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-it-"));
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), config);
        Process p = new ProcessBuilder(RunningMaster.javaCommand(RunningMaster.lib(), "-p", prefix.toString(), "-t")).directory(prefix.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(1);
        return out;
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    static int sendRequests(int port, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            assertThat(Http.get(port, "/").status()).isEqualTo(200);
        }
        return n;
    }

    static String metrics(int statusPort) throws IOException {
        Http.Response response = Http.get(statusPort, "/metrics");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers()).containsIgnoringCase("content-type: text/plain; version=0.0.4");
        return response.text();
    }

    static Map<Integer, Long> requestsBySlot(String metrics) {
        Map<Integer, Long> out = new java.util.TreeMap<>();
        Matcher m = REQUESTS.matcher(metrics);
        while (m.find()) {
            out.put(Integer.parseInt(m.group(1)), (long) Double.parseDouble(m.group(2)));
        }
        return out;
    }

    private static List<String> families(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("# TYPE ")).toList();
    }

    private static List<Double> answered(String metrics) {
        List<Double> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^masterwork_worker_report_answered\\{slot=\"\\d+\"} (\\S+)$").matcher(metrics);
        while (m.find()) {
            out.add(Double.parseDouble(m.group(1)));
        }
        return out;
    }

    /** What promtool says about the exposition: nothing when it is clean (its exit status must be 0 too). */
    static String promtool(String metrics) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/promtool", "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(metrics.getBytes(StandardCharsets.UTF_8));
        }
        String said;
        try (InputStream out = p.getInputStream()) {
            said = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool check metrics said: %s", said).isZero();
        return said.trim();
    }

    private static List<Integer> awaitAllReplaced(RunningMaster master, List<Integer> old) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            List<Integer> now = master.workers();
            return now.size() == 2 && now.stream().noneMatch(old::contains);
        });
        return master.awaitWorkers(2);
    }

    /**
     * A worker JVM's own class path (its /proc cmdline holds only its title), asked as the worker's user (the attach
     * mechanism answers only its own user): {@code jcmd VM.system_properties}, whose {@code java.class.path} line is
     * whole (VM.command_line cuts long lines at 2000 bytes, which would hide the end of a class path).
     */
    static String jcmdClassPath(int pid) throws Exception {
        String uid = ProcFs.status("/proc/" + pid, "Uid").trim().split("\\s+")[0];
        String gid = ProcFs.status("/proc/" + pid, "Gid").trim().split("\\s+")[0];
        List<String> command = new ArrayList<>();
        if (!uid.equals(String.valueOf(new com.sun.security.auth.module.UnixSystem().getUid()))) {
            command.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups"));
        }
        command.addAll(List.of(System.getProperty("java.home") + "/bin/jcmd", String.valueOf(pid), "VM.system_properties"));
        Process p = new ProcessBuilder(command).directory(Path.of("/tmp").toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("jcmd %s VM.system_properties: %s", pid, out).isZero();
        return out.lines().filter(l -> l.startsWith("java.class.path=")).findFirst()
                .orElseThrow(() -> new AssertionError("no java.class.path in jcmd's answer: " + out));
    }

    static Config json(String text) {
        return ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
    }
}
