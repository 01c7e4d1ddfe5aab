package io.masterwork.testkit;

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
import java.util.Map;
import java.util.Set;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SpawnRequest;
import io.masterwork.posix.WaitStatus;

/**
 * A real master JVM started the way an operator starts one (foreground, its own prefix and
 * configuration), watched from outside through its pid file, /proc, signals and HTTP. Closing it kills
 * every process it started, by pid. {@link #builder()} starts one with a downstream application; the static
 * {@code start} methods take the configuration's text as it is.
 */
public final class RunningMaster implements AutoCloseable {
    public static final String MAIN = "io.masterwork.master.cli.Masterwork";
    /**
     * The JVM flags bin/masterwork starts a master with (distribution/src/main/bin/masterwork), without its class-data
     * archive: a small serial heap, C1 only, a small code cache, the JDK's CDS archive mapped where it was written.
     * Every master and masterwork command the testkit starts gets them before the test's own options (which win), so
     * a test master is the operator's master, and its JVM starts as cheaply: most of the suite's time is JVM starts
     * on two cores, and {@code masterwork -t} took 1.6-1.9 s of CPU (user + sys) with the JDK's defaults (G1, C2)
     * against 0.96-1.07 s with these (4 runs each, 2026-12-04); a master starts its JVM twice (the signal route's
     * re-exec keeps the flags).
     */
    public static final List<String> MASTER_JVM_FLAGS = List.of(
            "-XX:+UseSerialGC", "-Xms8m", "-Xmx64m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30",
            "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=32m",
            "--enable-native-access=ALL-UNNAMED", "-Xlog:cds=off,cds+dynamic=off",
            "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0");
    /** The system property that names the master's class path instead of the test's own. */
    public static final String CLASS_PATH_PROPERTY = "masterwork.testkit.classpath";
    private static Path lib;

    private final Path prefix;
    private final int port;
    private final Launched process;
    private final Set<Integer> seenWorkers = new LinkedHashSet<>();

    /** The master process as the test launched it: through ProcessBuilder, or spawned with descriptors of its own. */
    private interface Launched {
        long pid();

        boolean isAlive();

        int exitValue();

        void waitFor() throws InterruptedException;
    }

    private record JdkProcess(Process process) implements Launched {
        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public int exitValue() {
            return process.exitValue();
        }

        public void waitFor() throws InterruptedException {
            process.waitFor();
        }
    }

    /**
     * A master spawned by this JVM with posix_spawn (ProcessBuilder cannot place a descriptor at fd 3); reaped
     * here with waitpid of its pid.
     */
    private static final class SpawnedProcess implements Launched {
        private final int pid;
        private WaitStatus status;

        SpawnedProcess(int pid) {
            this.pid = pid;
        }

        public long pid() {
            return pid;
        }

        public synchronized boolean isAlive() {
            if (status == null) {
                status = NativePosix.get().waitpid(pid, true);
            }
            return status == null;
        }

        public synchronized int exitValue() {
            if (isAlive()) {
                throw new IllegalStateException("process " + pid + " has not exited");
            }
            return status.exited() ? status.exitCode() : 128 + status.termSignal();
        }

        public synchronized void waitFor() {
            if (status == null) {
                status = NativePosix.get().waitpid(pid, false);
            }
        }
    }

    /**
     * A master that is not the process this test started but a descendant of it (under script(1), say): known by
     * its pid file once it has written it, watched through /proc, ended with the process that was started.
     */
    private static final class DescendantProcess implements Launched {
        private final Process launcher;
        private final Path pidFile;
        private volatile int pid = -1;

        DescendantProcess(Process launcher, Path pidFile) {
            this.launcher = launcher;
            this.pidFile = pidFile;
        }

        public long pid() {
            if (pid < 0) {
                try {
                    pid = Integer.parseInt(Files.readString(pidFile).trim());
                } catch (IOException | NumberFormatException notYet) {
                    return -1;
                }
            }
            return pid;
        }

        public boolean isAlive() {
            return pid() < 0 ? launcher.isAlive() : ProcFs.exists(pid);
        }

        public int exitValue() {
            if (isAlive()) {
                throw new IllegalStateException("process " + pid + " has not exited");
            }
            return -1; // not our child: its status went to its own parent
        }

        public void waitFor() throws InterruptedException {
            launcher.destroy();
            launcher.waitFor();
        }
    }

    /**
     * A master whose controlling terminal is a pseudo-terminal: started by script(1), which runs it in a session of
     * its own on a new pty, as an operator's shell runs a foreground master.
     */
    public static RunningMaster startOnATerminal(String extraConfig) throws IOException {
        int port = freePort();
        Path prefix = newPrefix("listen = \"127.0.0.1:" + port + "\"\n" + extraConfig);
        String command = "exec " + String.join(" ", masterCommand(prefix).stream().map(a -> "'" + a + "'").toList());
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec", command, "/dev/null").directory(prefix.toFile())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("stdout.txt").toFile());
        RunningMaster master = new RunningMaster(prefix, port, new DescendantProcess(pb.start(), prefix.resolve("logs/masterwork.pid")));
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> master.pid() > 0);
        } catch (RuntimeException e) {
            master.close();
            throw new IllegalStateException("no master pid file under script(1):\n" + master.output(), e);
        }
        return master;
    }

    /** What {@link #reload(String)} rewrites; null for a master not started by the builder. */
    private MasterBuilder builtWith;

    private RunningMaster(Path prefix, int port, Launched process) {
        this.prefix = prefix;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts a master in a fresh prefix with {@code extraConfig} appended to a configuration that
     * listens on a free loopback port; waits until the pid file names it.
     */
    public static RunningMaster start(String extraConfig) throws IOException {
        return start(extraConfig, Map.of());
    }

    /** As {@link #start(String)}, with {@code environment} added to the master's (e.g. NOTIFY_SOCKET). */
    public static RunningMaster start(String extraConfig, Map<String, String> environment) throws IOException {
        return start(extraConfig, environment, freePort(), List.of());
    }

    /**
     * As {@link #start(String, Map)} on a given port, with the master's command line prefixed by
     * {@code launcher} (a program that execs the rest, keeping its pid: systemd-socket-activate, say).
     */
    public static RunningMaster start(String extraConfig, Map<String, String> environment, int port, List<String> launcher)
            throws IOException {
        return start(extraConfig, environment, port, launcher, lib());
    }

    /**
     * As {@link #start(String, Map, int, List)}, with the master's class path {@code classPathDir/*}: a master
     * that runs from a build directory of its own (a binary upgrade looks for the newest build beside it).
     */
    public static RunningMaster start(String extraConfig, Map<String, String> environment, int port, List<String> launcher,
                               Path classPathDir) throws IOException {
        Path prefix = newPrefix("listen = \"127.0.0.1:" + port + "\"\n" + extraConfig);
        List<String> command = new ArrayList<>(launcher);
        command.addAll(masterCommand(prefix, classPathDir));
        ProcessBuilder pb = new ProcessBuilder(command).directory(prefix.toFile())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("stdout.txt").toFile());
        pb.environment().putAll(environment);
        return awaitPidFile(new RunningMaster(prefix, port, new JdkProcess(pb.start())));
    }

    /**
     * A master started the way systemd's socket activation starts one: {@code listeningFds} (this JVM's, still
     * open here afterwards, as systemd keeps its copies) appear in the master at 3, 4, ... with LISTEN_FDS and
     * LISTEN_PID naming the master's own pid (a shell sets it to $$ and execs java, which keeps the pid), plus
     * {@code environment}. {@code extraConfig} must carry the {@code listen} directive; {@link #port} is the
     * first socket's port.
     */
    public static RunningMaster startWithInheritedSockets(String extraConfig, Map<String, String> environment,
                                                   List<Integer> listeningFds) throws IOException {
        return startWithDescriptors(extraConfig, environment, listeningFds, true);
    }

    /**
     * As {@link #startWithInheritedSockets}; without {@code socketActivation}, no LISTEN_PID and LISTEN_FDS: the
     * descriptors are only there, at 3, 4, ..., for whatever {@code environment} says of them.
     */
    public static RunningMaster startWithDescriptors(String extraConfig, Map<String, String> environment,
                                              List<Integer> listeningFds, boolean socketActivation) throws IOException {
        Posix posix = NativePosix.get();
        Path prefix = newPrefix(extraConfig);
        int port = posix.localAddress(listeningFds.get(0)).getPort();
        List<String> argv = new ArrayList<>(List.of("sh", "-c", socketActivation
                ? "LISTEN_PID=$$ LISTEN_FDS=" + listeningFds.size() + " exec \"$0\" \"$@\"" : "exec \"$0\" \"$@\""));
        argv.addAll(masterCommand(prefix));
        List<String> env = new ArrayList<>();
        Map<String, String> all = new java.util.TreeMap<>(System.getenv());
        all.keySet().removeIf(name -> name.startsWith("LISTEN_") || name.equals("NOTIFY_SOCKET"));
        all.putAll(environment);
        all.forEach((name, value) -> env.add(name + "=" + value));
        int devNull = posix.open("/dev/null", OpenFlags.RDWR, 0);
        int out = posix.open(prefix.resolve("stdout.txt").toString(), OpenFlags.WRONLY | OpenFlags.CREAT | OpenFlags.TRUNC, 0644);
        int pid;
        try {
            SpawnRequest request = new SpawnRequest("/bin/sh").argv(argv).environment(env)
                    .workingDirectory(prefix.toString()).mapFd(devNull, 0).mapFd(out, 1).mapFd(out, 2);
            for (int i = 0; i < listeningFds.size(); i++) {
                request.mapFd(listeningFds.get(i), 3 + i);
            }
            pid = posix.spawn(request);
        } finally {
            posix.close(devNull);
            posix.close(out);
        }
        return awaitPidFile(new RunningMaster(prefix, port, new SpawnedProcess(pid)));
    }

    /**
     * A master that is expected to end by itself (a start that fails): run in the foreground in a fresh prefix with
     * {@code extraConfig} (after a free loopback {@code listen}), to its end within {@code atMost} (killed, with its
     * workers, and an AssertionError otherwise). The output is what it printed; its error log is in {@code prefix}.
     */
    public static CommandResult runToEnd(String extraConfig, Duration atMost) throws IOException, InterruptedException {
        Path prefix = newPrefix("listen = \"127.0.0.1:" + freePort() + "\"\n" + extraConfig);
        return runToEnd(prefix, atMost);
    }

    public static CommandResult runToEnd(Path prefix, Duration atMost) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(masterCommand(prefix)).directory(prefix.toFile())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("stdout.txt").toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(atMost.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            killTree((int) p.pid());
            killQuietly("KILL", (int) p.pid());
            throw new AssertionError("the master " + p.pid() + " did not end within " + atMost);
        }
        return new CommandResult(p.exitValue(), Files.readString(prefix.resolve("stdout.txt")));
    }

    /** A fresh prefix holding conf/masterwork.conf with the usual header and {@code config}. */
    public static Path newPrefixWith(String config) throws IOException {
        return newPrefix(config);
    }

    private static String listenLine(int port) {
        return "listen = \"127.0.0.1:" + port + "\"\n";
    }

    /** A master from the builder: its whole configuration after the listen line is the builder's. */
    static RunningMaster start(MasterBuilder builder) throws IOException {
        int port = freePort();
        Path prefix = TestDirectories.create("masterwork-test-");
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), listenLine(port) + builder.configuration() + "\n");
        List<String> command = javaCommand(builder.classPathDirectory(), builder.masterJvmOptions(), "-p",
                prefix.toString());
        ProcessBuilder pb = new ProcessBuilder(command).directory(prefix.toFile())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("stdout.txt").toFile());
        pb.environment().putAll(builder.environment());
        RunningMaster master = awaitPidFile(new RunningMaster(prefix, port, new JdkProcess(pb.start())));
        master.builtWith = builder;
        return master;
    }

    private static Path newPrefix(String config) throws IOException {
        Path prefix = TestDirectories.create("masterwork-test-");
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"),
                NO_SPARES + "worker_processes = 2\n" + "worker_shutdown_timeout = 5s\n" + config + "\n");
        return prefix;
    }

    private static List<String> masterCommand(Path prefix) throws IOException {
        return masterCommand(prefix, lib());
    }

    private static List<String> masterCommand(Path prefix, Path classPathDir) {
        return javaCommand(classPathDir, "-p", prefix.toString());
    }

    /**
     * {@code java} with {@link #MASTER_JVM_FLAGS}, the class path of {@code classPathDir} ({@link #classPath}) and the
     * masterwork command's main class, then {@code args}: the masterwork command as bin/masterwork runs it.
     */
    public static List<String> javaCommand(Path classPathDir, String... args) {
        return javaCommand(classPathDir, List.of(), args);
    }

    /** {@link #javaCommand(Path, String...)} with {@code jvmOptions} after {@link #MASTER_JVM_FLAGS} (they win). */
    private static List<String> javaCommand(Path classPathDir, List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(MASTER_JVM_FLAGS);
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath(classPathDir), MAIN));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * The master's class path from a lib directory, as bin/masterwork writes it: {@code lib/*} and {@code lib/master/*}
     * (the jars only the master loads: Prometheus' client, bcrypt).
     */
    public static String classPath(Path libDir) {
        return libDir + "/*" + File.pathSeparator + libDir + "/master/*";
    }

    /** The java of this JVM: masters and their commands run on it. */
    public static String java() {
        return System.getProperty("java.home") + "/bin/java";
    }

    /** What one run of the masterwork command printed, and its exit status. */
    public record CommandResult(int exit, String output) {
    }

    /** Runs the masterwork command for this master's prefix ({@code -p <prefix> args...}) to its end (bounded). */
    public CommandResult command(String... args) throws IOException, InterruptedException {
        return command(prefix, args);
    }

    /** Runs the masterwork command for {@code prefix} ({@code -p <prefix> args...}) to its end (bounded). */
    public static CommandResult command(Path prefix, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(javaCommand(lib(), "-p", prefix.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(prefix.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        java.util.concurrent.CompletableFuture<String> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 60 s");
        }
        return new CommandResult(p.exitValue(), output.join());
    }

    private static RunningMaster awaitPidFile(RunningMaster master) {
        try {
            // 60 s, as the other waits: seen at a load average of 30 on 2 cores, a master's JVM took more than 30 s
            // from its start to its pid file.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !master.process.isAlive() || master.pidFromFile() == master.pid());
            if (!master.process.isAlive()) {
                throw new IllegalStateException("master exited with " + master.process.exitValue() + ":\n" + master.output());
            }
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            master.close();
            throw new AssertionError("the master " + master.pid() + " wrote no pid file within 60 s in " + master.prefix
                    + "; it printed:\n" + tail(master.output()), e);
        } catch (RuntimeException e) {
            master.close();
            throw e;
        }
        return master;
    }

    /** Starts describing a master with an application's modules, settings and class path. */
    public static MasterBuilder builder() {
        return new MasterBuilder();
    }

    /** The master's prefix: conf/, logs/ (the error log, the pid file, the control socket). */
    public Path prefix() {
        return prefix;
    }

    /** The loopback port the master listens on (the first {@code listen}). */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}, without a trailing slash. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /**
     * Replaces the configuration file's text after its {@code listen} line (the workers' count, shutdown timeout,
     * modules, {@code app {}} ...): what a reload then reads.
     */
    public void rewriteConfig(String config) throws IOException {
        String spares = builtWith == null || builtWith.noSpares() ? NO_SPARES : "";
        Files.writeString(prefix.resolve("conf/masterwork.conf"), spares + listenLine(port) + config + "\n");
    }

    /**
     * Reloads the configuration file as it is now (SIGHUP) and waits until the master logs the reload complete:
     * the new generation serves, or, when it failed, an AssertionError names the failure.
     */
    public void reload() {
        long before = Probes.count(errorLog(), "reload complete");
        long failedBefore = Probes.count(errorLog(), "reload failed");
        signal("HUP");
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                String log = errorLog();
                return !process.isAlive() || Probes.count(log, "reload complete") > before
                        || Probes.count(log, "reload failed") > failedBefore;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no reload complete within 60 s; the error log ends:\n" + tail(errorLog()), e);
        }
        assertAlive("reloading");
        if (Probes.count(errorLog(), "reload complete") == before) {
            throw new AssertionError("the reload failed; the error log ends:\n" + tail(errorLog()));
        }
    }

    /**
     * Reloads with new application settings: the body of {@code app {}} is replaced by {@code appSettings}, the
     * rest of the configuration this master was built with stays. Only for a master from {@link #builder()}.
     */
    public void reload(String appSettings) throws IOException {
        if (builtWith == null) {
            throw new IllegalStateException("reload(appSettings) is for a master started by RunningMaster.builder();"
                    + " use rewriteConfig(...) and reload()");
        }
        builtWith = builtWith.app(appSettings);
        rewriteConfig(builtWith.configuration());
        reload();
    }

    /** Waits until the error log says generation {@code generation} serves (the first at start, later ones after reloads). */
    public void awaitGeneration(int generation) {
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                String log = errorLog();
                return !process.isAlive() || log.contains("workers of generation " + generation + " ready")
                        || log.contains("generation " + generation + " serving with");
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("generation " + generation + " did not serve within 60 s; the error log ends:\n"
                    + tail(errorLog()), e);
        }
        assertAlive("waiting for generation " + generation);
    }

    /**
     * The master's process table as its control socket's {@code status} command answers it (JSON: the generation,
     * each worker slot with its pid, state and generation, reload counts).
     */
    public String processTable() throws IOException {
        return Probes.control(this, "status", Duration.ofSeconds(10));
    }

    /** SIGKILL to one of this master's live workers, as the kernel's OOM killer would; returns its pid. */
    public int killWorker() {
        List<Integer> live = workers();
        if (live.isEmpty()) {
            throw new AssertionError("master " + pid() + " has no worker to kill");
        }
        int worker = live.get(0);
        killWorker(worker);
        return worker;
    }

    /** SIGKILL to the worker {@code workerPid}, which must be this master's child. */
    public void killWorker(int workerPid) {
        if (!workers().contains(workerPid)) {
            throw new AssertionError("process " + workerPid + " is not a worker of master " + pid());
        }
        kill("KILL", workerPid);
    }

    /** A master that exited fails the wait at once (no worker will come), with what its error log says. */
    private void assertAlive(String activity) {
        if (!process.isAlive()) {
            throw new AssertionError("the master " + pid() + " exited (status " + process.exitValue() + ") while "
                    + activity + " in " + prefix + "; the error log ends:\n" + tail(errorLog()));
        }
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 4000));
    }

    /**
     * The start of the first key's line in every configuration the testkit writes (on that line, so that the line
     * numbers a test expects in error messages stay as they were), which the test's own configuration may override (a
     * later key wins): no spare workers, so that a test's master starts only the JVMs the test asks for (a spare is
     * one more JVM, at idle priority, starting beside the test) — {@code worker_spares = auto}, the master's own default,
     * when a test says so ({@link MasterBuilder#defaultSpares()}).
     */
    static final String NO_SPARES = "worker_spares = 0, ";

    /** The master's pid, as this test started it. */
    public int pid() {
        return (int) process.pid();
    }

    public int pidFromFile() {
        try {
            return Integer.parseInt(Files.readString(prefix.resolve("logs/masterwork.pid")).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    public Path pidFile() {
        return prefix.resolve("logs/masterwork.pid");
    }

    /** The process title of a spare worker (worker_spares): started ahead of need, never counted as a worker. */
    public static final String SPARE_TITLE = "masterwork: worker process (spare)";

    /** The master's live workers: its children less its spares ({@link #spares()}), which serve no slot. */
    public List<Integer> workers() {
        List<Integer> children = ProcFs.children(pid());
        seenWorkers.addAll(children);
        return children.stream().filter(p -> !SPARE_TITLE.equals(ProcFs.cmdline(p))).toList();
    }

    /** The master's live spare workers (worker_spares), by their process title. */
    public List<Integer> spares() {
        List<Integer> children = ProcFs.children(pid());
        seenWorkers.addAll(children);
        return children.stream().filter(p -> SPARE_TITLE.equals(ProcFs.cmdline(p))).toList();
    }

    /** Waits until exactly n workers are alive and have said READY (they answer HTTP). */
    public List<Integer> awaitWorkers(int n) {
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !process.isAlive() || workers().size() == n && readyCount() >= n);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not " + n + " ready workers within 60 s (now " + workers() + ") in " + prefix
                    + "; the error log ends:\n" + tail(errorLog()) + "\nstdout:\n" + output(), e);
        }
        assertAlive("waiting for " + n + " ready workers");
        // The ready ones, not every child: a spare spawned meanwhile has no title yet and would pass for a worker.
        return readyWorkers();
    }

    /** Workers the error log says are ready (each READY logs one line). */
    private long readyCount() {
        return readyWorkers().size();
    }

    private List<Integer> readyWorkers() {
        String log = errorLog();
        return workers().stream().filter(p -> log.matches("(?s).*worker process " + p + " \\(slot \\d+\\) ready.*")).toList();
    }

    public String errorLog() {
        try {
            return Files.readString(prefix.resolve("logs/error.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    public String output() {
        try {
            return Files.readString(prefix.resolve("stdout.txt"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Sends a real signal, as an operator's kill(1) does; fails the test when kill(1) says it could not. */
    public void signal(String name) {
        kill(name, pid());
    }

    /** kill(1) with {@code signal} to {@code pid}; a non-zero status (no such process, say) fails the test. */
    public static void kill(String signal, int pid) {
        int status = runKill(signal, pid);
        if (status != 0) {
            throw new AssertionError("kill -" + signal + " " + pid + " exited with status " + status
                    + (ProcFs.exists(pid) ? "" : " (no such process)"));
        }
    }

    /** SIGKILL to a master this test did not start directly (an upgrade's new master) and to its children. */
    public static void killTree(int pid) {
        if (pid > 0 && ProcFs.exists(pid)) {
            for (int child : ProcFs.children(pid)) {
                killQuietly("KILL", child);
            }
            killQuietly("KILL", pid);
        }
    }

    /** kill(1) for cleaning up: a process that is already gone is what was wanted. */
    public static void killQuietly(String signal, int pid) {
        runKill(signal, pid);
    }

    private static int runKill(String signal, int pid) {
        if (pid <= 0) {
            // kill(1) with 0 or a negative number signals a whole process group, or every process: never that.
            throw new IllegalArgumentException("refusing to signal pid " + pid);
        }
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Integer.toString(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("kill -" + signal + " " + pid + " did not finish within 10 s");
            }
            return p.exitValue();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public int awaitExit(Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> !process.isAlive());
        return process.exitValue();
    }

    @Override
    public void close() {
        if (pid() > 0) {
            seenWorkers.addAll(ProcFs.children(pid()));
            if (process.isAlive()) {
                killQuietly("KILL", pid());
            }
        }
        for (int w : seenWorkers) {
            if (ProcFs.exists(w)) {
                killQuietly("KILL", w);
            }
        }
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The jars the distribution puts in lib/master/ (distribution.xml): the Prometheus client and bcrypt. */
    public static boolean isMasterOnly(Path jar) {
        String name = jar.getFileName().toString();
        return name.startsWith("prometheus-metrics-") || name.startsWith("jbcrypt-");
    }

    /**
     * The test class path copied into a world-readable directory, as the distribution's lib/ is: a
     * worker that drops to nobody still loads classes from it (jars under /root/.m2 are not readable).
     * Once per JVM; the package documentation says where the class path is read from.
     */
    public static synchronized Path lib() throws IOException {
        if (lib != null) {
            return lib;
        }
        String cp = System.getProperty(CLASS_PATH_PROPERTY,
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        Path dir = TestDirectories.create("masterwork-test-lib-");
        int i = 0;
        for (String entry : cp.split(File.pathSeparator)) {
            Path source = Path.of(entry);
            if (Files.isRegularFile(source) && entry.endsWith(".jar")) {
                // As the distribution lays them out: the master's own jars in lib/master/, never on a worker's path.
                Path target = isMasterOnly(source) ? Files.createDirectories(dir.resolve("master")) : dir;
                Files.copy(source, target.resolve(source.getFileName()), StandardCopyOption.REPLACE_EXISTING);
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
