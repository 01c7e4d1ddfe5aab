package io.masterwork.it;

import io.masterwork.testkit.TestDirectories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * hello-app's own distribution, as {@code masterwork-server-parent} builds it in hello-app's package phase
 * (examples/hello-app/target/hello-app-&lt;version&gt;/): {@code bin/hello-app} starts a master whose workers serve
 * hello-app's greeting, from the worker class-data archive trained with hello-app's classes, and its {@code -t} runs
 * hello-app's own settings check. Real processes on a free loopback port, killed by pid at the end.
 */
class HelloAppDistributionIT {
    private static final Path BUILT = Path.of(System.getProperty("masterwork.helloApp.dist",
            "../examples/hello-app/target/hello-app-unknown")).toAbsolutePath().normalize();
    private static final Duration START = Duration.ofSeconds(120);

    private static Path home;

    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void distributionTheWorkersCanRead() throws Exception {
        assertThat(BUILT.resolve("bin/hello-app")).as("hello-app's distribution is built by its package phase")
                .isExecutable();
        home = readableByWorkers(BUILT);
    }

    @AfterEach
    void killEverythingStarted() {
        for (Process p : started) {
            List<ProcessHandle> descendants = p.descendants().toList();
            p.destroyForcibly();
            descendants.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void itsLayoutIsHelloAppsOwn() throws IOException {
        assertThat(home.resolve("bin/masterwork")).doesNotExist();
        assertThat(home.resolve("conf/masterwork.conf")).doesNotExist();
        Path jar = home.resolve("lib/app").resolve(BUILT.getFileName() + ".jar");
        assertThat(jar).isRegularFile();
        try (Stream<Path> app = Files.list(home.resolve("lib/app"))) {
            assertThat(app).as("worker-api and Netty come from masterwork's lib/, once").containsExactly(jar);
        }
        assertThat(home.resolve("conf/hello-app.conf")).content()
                .contains("${MASTERWORK_HOME}\"/lib/app/" + jar.getFileName() + "\"")
                .contains("io.masterwork.examples.hello.HelloModule");
        assertThat(home.resolve("lib/worker.jsa")).isRegularFile();
        assertThat(home.resolve("lib/worker.jsa.trained")).as("trained with hello-app's jar on the workers' class path")
                .content().contains(jar.toString());
    }

    @Test
    void binHelloAppStartsAMasterWhoseWorkersServeTheGreetingFromTheTrainedArchive() throws Exception {
        int port = freePort();
        // No spare (worker_spares = auto by default): the master's one child is then its worker.
        Path prefix = prefix("listen = [\"127.0.0.1:" + port + "\"]\nworker_processes = 1\nworker_spares = 0\nworker_cpu_affinity = off\n"
                + "app { greeting = \"Hello from the kit\" }\n");
        Path out = prefix.resolve("master.out");
        Process master = command(prefix, "-c", "conf/test.conf", "-p", prefix.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        started.add(master);

        await().atMost(START).until(() -> get(port).startsWith("HTTP/1.1 200") || !master.isAlive());
        assertThat(master.isAlive()).as(Files.readString(out)).isTrue();
        String answer = get(port);
        long worker = master.children().findFirst().orElseThrow().pid();
        assertThat(answer).endsWith("Hello from the kit from worker " + worker + "\n");
        assertThat(Files.readString(Path.of("/proc", Long.toString(worker), "maps"))).as("the worker maps the archive")
                .contains(home.resolve("lib/worker.jsa").toString());
        assertThat(Files.readString(out)).as("the archives fit: nothing to say").doesNotContain("class-data archive");

        Process quit = command(prefix, "-c", "conf/test.conf", "-p", prefix.toString(), "-s", "quit")
                .redirectErrorStream(true).redirectOutput(prefix.resolve("quit.out").toFile()).start();
        started.add(quit);
        assertThat(quit.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(quit.exitValue()).as(Files.readString(prefix.resolve("quit.out"))).isZero();
        assertThat(master.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(master.exitValue()).isZero();
    }

    @Test
    void binHelloAppTestsHelloAppsOwnSettings() throws Exception {
        Path prefix = prefix("app { greeting = \"Hi\" }\n");
        assertThat(run(prefix, "-t", "-c", "conf/test.conf", "-p", prefix.toString())).startsWith("exit 0");

        Files.writeString(prefix.resolve("conf/test.conf"), "include file(\"" + home.resolve("conf/hello-app.conf")
                + "\")\napp { greeting = \"\" }\n");
        assertThat(run(prefix, "-t", "-c", "conf/test.conf", "-p", prefix.toString())).startsWith("exit 1")
                .contains(prefix.resolve("conf/test.conf") + ":2: app.greeting: must not be empty");
    }

    /** A prefix whose conf/test.conf is the distribution's conf/hello-app.conf with {@code overrides}. */
    private Path prefix(String overrides) throws IOException {
        Path prefix = tmp.resolve("prefix");
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/test.conf"), "include file(\"" + home.resolve("conf/hello-app.conf")
                + "\")\n" + overrides);
        openToOthers(prefix, tmp.getParent());
        return prefix;
    }

    private ProcessBuilder command(Path cwd, String... args) {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/hello-app").toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        pb.environment().keySet().removeIf(name -> name.startsWith("MASTERWORK_") || name.startsWith("MAVEN_"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }

    /** Runs bin/hello-app to its end (bounded): "exit N" and what it printed. */
    private String run(Path cwd, String... args) throws Exception {
        Path out = Files.createTempFile(tmp, "run", ".out");
        Process p = command(cwd, args).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        started.add(p);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return "exit " + p.exitValue() + "\n" + Files.readString(out);
    }

    private static String get(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: kit\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException notYet) {
            return "";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    /**
     * The built distribution, or, when a root master's workers (nobody) could not enter it (a clone under root's 0700
     * home), a world-readable copy with its archives trained for it by {@code bin/hello-app --train-archives}, the
     * install step (a root master does not retrain at start).
     */
    private static Path readableByWorkers(Path built) throws Exception {
        if (othersMayEnter(built)) {
            return built;
        }
        Path dir = TestDirectories.removedAtExit(Files.createTempDirectory("hello-app-dist-"));
        Path copy = dir.resolve(built.getFileName());
        try (Stream<Path> tree = Files.walk(built)) {
            for (Path source : tree.sorted(Comparator.naturalOrder()).toList()) {
                Path target = copy.resolve(built.relativize(source).toString());
                if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        openToOthers(copy, dir.getParent());
        ProcessBuilder train = new ProcessBuilder(copy.resolve("bin/hello-app").toString(), "--train-archives").inheritIO();
        train.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process training = train.start();
        if (!training.waitFor(300, TimeUnit.SECONDS) || training.exitValue() != 0) {
            training.destroyForcibly();
            throw new IllegalStateException("the class archives of the copy " + copy + " could not be trained");
        }
        return copy;
    }

    private static boolean othersMayEnter(Path dir) throws IOException {
        for (Path p = dir; p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                return false;
            }
        }
        return true;
    }

    /** {@code dir} and the directories above it, up to {@code top}, enterable and readable by others. */
    private static void openToOthers(Path dir, Path top) throws IOException {
        for (Path p = dir; p != null && !p.equals(top); p = p.getParent()) {
            Set<PosixFilePermission> permissions = new HashSet<>(Files.getPosixFilePermissions(p));
            permissions.addAll(PosixFilePermissions.fromString("r-xr-xr-x"));
            Files.setPosixFilePermissions(p, permissions);
        }
    }
}
