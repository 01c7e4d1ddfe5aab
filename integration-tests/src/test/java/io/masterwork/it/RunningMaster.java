package io.masterwork.it;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A real master JVM started the way an operator starts one (foreground, its own prefix and
 * configuration), watched from outside through its pid file, /proc, signals and HTTP. Closing it kills
 * every process it started, by pid.
 */
final class RunningMaster implements AutoCloseable {
    static final String MAIN = "io.masterwork.master.cli.Masterwork";
    private static Path lib;

    final Path prefix;
    final int port;
    private final Process process;
    private final Set<Integer> seenWorkers = new LinkedHashSet<>();

    private RunningMaster(Path prefix, int port, Process process) {
        this.prefix = prefix;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts a master in a fresh prefix with {@code extraConfig} appended to a configuration that
     * listens on a free loopback port; waits until the pid file names it.
     */
    static RunningMaster start(String extraConfig) throws IOException {
        Path prefix = Files.createTempDirectory("masterwork-it-");
        Files.setPosixFilePermissions(prefix, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = freePort();
        Files.createDirectories(prefix.resolve("conf"));
        String config = "listen = \"127.0.0.1:" + port + "\"\n"
                + "worker_processes = 2\n"
                + "worker_shutdown_timeout = 5s\n"
                + extraConfig + "\n";
        Files.writeString(prefix.resolve("conf/masterwork.conf"), config);
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + "/bin/java");
        cmd.add("-cp");
        cmd.add(lib() + "/*");
        cmd.add(MAIN);
        cmd.add("-p");
        cmd.add(prefix.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(prefix.toFile())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("stdout.txt").toFile());
        RunningMaster master = new RunningMaster(prefix, port, pb.start());
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !master.process.isAlive() || master.pidFromFile() == master.pid());
            if (!master.process.isAlive()) {
                throw new IllegalStateException("master exited with " + master.process.exitValue() + ":\n" + master.output());
            }
        } catch (RuntimeException e) {
            master.close();
            throw e;
        }
        return master;
    }

    int pid() {
        return (int) process.pid();
    }

    int pidFromFile() {
        try {
            return Integer.parseInt(Files.readString(prefix.resolve("logs/masterwork.pid")).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    Path pidFile() {
        return prefix.resolve("logs/masterwork.pid");
    }

    /** The master's live workers. */
    List<Integer> workers() {
        List<Integer> w = ProcFs.children(pid());
        seenWorkers.addAll(w);
        return w;
    }

    /** Waits until exactly n workers are alive and have said READY (they answer HTTP). */
    List<Integer> awaitWorkers(int n) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> workers().size() == n && readyCount() >= n);
        return workers();
    }

    /** Workers the error log says are ready (each READY logs one line). */
    private long readyCount() {
        String log = errorLog();
        return workers().stream().filter(p -> log.matches("(?s).*worker process " + p + " \\(slot \\d+\\) ready.*")).count();
    }

    String errorLog() {
        try {
            return Files.readString(prefix.resolve("logs/error.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    String output() {
        try {
            return Files.readString(prefix.resolve("stdout.txt"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Sends a real signal, as an operator's kill(1) does. */
    void signal(String name) {
        kill(name, pid());
    }

    static void kill(String signal, int pid) {
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Integer.toString(pid)).inheritIO().start();
            p.waitFor();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int awaitExit(Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> !process.isAlive());
        return process.exitValue();
    }

    @Override
    public void close() {
        seenWorkers.addAll(ProcFs.children(pid()));
        if (process.isAlive()) {
            kill("KILL", pid());
        }
        for (int w : seenWorkers) {
            if (ProcFs.exists(w)) {
                kill("KILL", w);
            }
        }
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * The test class path copied into a world-readable directory, as the distribution's lib/ is: a
     * worker that drops to nobody still loads classes from it (jars under /root/.m2 are not readable).
     */
    static synchronized Path lib() throws IOException {
        if (lib != null) {
            return lib;
        }
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path dir = Files.createTempDirectory("masterwork-it-lib-");
        int i = 0;
        for (String entry : cp.split(File.pathSeparator)) {
            Path source = Path.of(entry);
            if (Files.isRegularFile(source) && entry.endsWith(".jar")) {
                Files.copy(source, dir.resolve(source.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            } else if (Files.isDirectory(source)) {
                // Class directories (this module's test classes) become a jar-less directory entry: zip them.
                Path jar = dir.resolve("classes-" + (i++) + ".jar");
                Jars.zipDirectory(source, jar);
            }
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        lib = dir;
        return dir;
    }
}
