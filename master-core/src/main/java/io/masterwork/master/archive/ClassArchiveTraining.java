package io.masterwork.master.archive;

import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.ConfigurationException;
import io.masterwork.master.config.MasterConfiguration;

import java.io.File;
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
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;


/**
 * Writes {@code <distribution>/lib/worker.jsa} and {@code lib/master.jsa}, the AppCDS archives of the worker's
 * and the master's classes (JDK 17 dynamic archives), or on JDK 25 and later {@code lib/worker.aot} and
 * {@code lib/master.aot}, their AOT caches ({@link ClassArchiveFormat}), by running the distribution once as a user
 * would: a real master with one worker on a free loopback port, both JVMs with {@code -XX:ArchiveClassesAtExit}
 * (or {@code -XX:AOTCacheOutput}); a few HTTP
 * requests so the serving path's classes are loaded too; then {@code bin/<name> -s quit}: the worker writes its
 * archive as it exits, the master its own after. Run as {@code bin/<name> --train-archives [-c file] [-p prefix]}:
 * by the build, at install, and by a master that finds its archives stale at start.
 *
 * <p>The training master runs the distribution's own configuration ({@code conf/<name>.conf} under the
 * distribution, or the one named), with only what a training needs overridden: one worker, a loopback port, its
 * files in a private temporary directory. So a downstream server's archive holds its application's classes, loaded
 * from its {@code worker_class_path} and {@code modules}.
 *
 * <p>Why a real run and not a list of classes: the archive holds exactly what a worker loads, in the order
 * and from the class path the master gives it. The JVM accepts an archive only for the very JDK and class path it
 * was written with (JDK 17 checks every jar's path, size and modification time), so beside each archive goes
 * {@link ClassArchiveFingerprint the record of both} ({@code worker.jsa.trained}), computed from this JVM: it was
 * started by the same script with the same {@code -cp} as a master, so its class path is a master's, entry for
 * entry. A master uses an archive only when the record fits, and retrains a stale one at start.
 *
 * <p>The JVMs write their archives into this run's private temporary directory; each is published into lib/
 * through a new temporary file there (created, never opened through a link) renamed over the old name, so a
 * reader sees the old archive, none, or the complete new one (a truncated archive would crash the JVM that maps
 * it). Run as root, the training's workers run as root too, like the build's: lib/ must then be root's and
 * writable by root alone, or the training refuses.
 *
 * <p>Exit status: 0 with the archives, or when this JVM cannot write them at all (a warning says so: the
 * distribution still works, without archives); 1 when the training master did not serve or stop, or the
 * distribution cannot take the archives (something is broken).
 */
public final class ClassArchiveTraining {
    private static final Duration SERVE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(180);

    private final Path command;
    private final Path configFile;
    private final Path prefix;
    private final ClassArchives archives;
    private final Path work;
    private final boolean root;

    private ClassArchiveTraining(Path command, Path configFile, Path prefix, Path work) throws IOException {
        this.command = command;
        this.configFile = configFile;
        this.prefix = prefix;
        this.archives = new ClassArchives(command.getParent().resolveSibling("lib"));
        this.work = work;
        this.root = Integer.valueOf(0).equals(Files.getAttribute(work, "unix:uid"));
    }

    /** {@code <bin/name> [-c file] [-p prefix]}: the script that started this JVM, then the master's options. */
    public static void main(String[] args) throws Exception {
        if (args.length % 2 != 1) {
            System.err.println("usage: <bin/name> --train-archives [-c file] [-p prefix]");
            System.exit(2);
        }
        Path command = Path.of(args[0]).toAbsolutePath().normalize();
        Path prefix = command.getParent().getParent();
        Path configFile = null;
        for (int i = 1; i < args.length; i += 2) {
            switch (args[i]) {
                case "-c" -> configFile = Path.of(args[i + 1]);
                case "-p" -> prefix = Path.of(args[i + 1]).toAbsolutePath().normalize();
                default -> {
                    System.err.println("masterwork: [emerg] --train-archives takes -c file and -p prefix, not " + args[i]);
                    System.exit(2);
                }
            }
        }
        configFile = prefix.resolve(configFile != null ? configFile
                : Path.of("conf", command.getFileName() + ".conf")).normalize();
        if (!Files.isExecutable(command) || !Files.isDirectory(command.getParent().resolveSibling("lib"))) {
            System.err.println("masterwork: [emerg] " + command + " is not the script of a distribution (bin/, lib/)");
            System.exit(1);
        }
        Path work = Files.createTempDirectory("masterwork-class-archives-");
        int status;
        try {
            status = new ClassArchiveTraining(command, configFile, prefix, work).run();
        } finally {
            deleteTree(work);
        }
        System.exit(status);
    }

    private int run() throws IOException, InterruptedException {
        Path lib = archives.lib();
        if (root) {
            String refusal = untrustedByRoot(lib);
            if (refusal != null) {
                return fail(refusal);
            }
        }
        MasterConfiguration config;
        try {
            config = ConfigLoader.load(configFile, prefix);
        } catch (ConfigurationException e) {
            System.err.println("masterwork: [emerg] class archives: " + e.getMessage());
            return 1;
        }
        ClassArchiveFormat format = archives.format();
        Path workerDump = work.resolve(format.fileName(ClassArchives.WORKER));
        Path masterDump = work.resolve(format.fileName(ClassArchives.MASTER));
        // Gone before the training master starts, with their records, of either kind: neither it nor its workers map
        // an old archive while writing the new one, no master judges a new archive by an old record, and the
        // distribution holds the kind of this JDK only. A running process that maps one keeps its copy (unlink,
        // never truncate).
        for (Path old : archives.everyArchive()) {
            Files.deleteIfExists(ClassArchiveFingerprint.recordOf(old));
            Files.deleteIfExists(old);
        }

        Process master = null;
        Path conf = work.resolve("training.conf");
        try {
            // A free port can be taken by someone else before the master binds it: then the master exits
            // at once, and another port is tried.
            int port = -1;
            for (int attempt = 1; attempt <= 3 && port < 0; attempt++) {
                int candidate = freePort();
                writeConfig(conf, candidate, format.trainingFlag(workerDump));
                ProcessBuilder start = masterwork("-c", conf.toString(), "-p", prefix.toString());
                start.environment().put("MASTERWORK_JAVA_OPTS", format.trainingFlag(masterDump));
                master = start.redirectErrorStream(true).redirectOutput(work.resolve("master.out").toFile()).start();
                if (awaitServing(master, candidate)) {
                    port = candidate;
                } else if (master.isAlive()) {
                    return fail("the training master did not serve on 127.0.0.1:" + candidate + " within "
                            + SERVE_TIMEOUT.toSeconds() + " s");
                } else {
                    killTree(master);
                }
            }
            if (port < 0) {
                return fail("the training master exited before it served (3 attempts)");
            }
            exercise(port);
            Process quit = masterwork("-c", conf.toString(), "-p", prefix.toString(), "-s", "quit")
                    .redirectErrorStream(true).redirectOutput(work.resolve("quit.out").toFile()).start();
            if (!quit.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || quit.exitValue() != 0) {
                quit.destroyForcibly();
                return fail("`" + command.getFileName() + " -s quit` failed: " + read(work.resolve("quit.out")));
            }
            // The worker writes the archive while it exits; the master exits after it.
            if (!master.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                return fail("the training master did not exit within " + STOP_TIMEOUT.toSeconds() + " s of QUIT");
            }
        } finally {
            if (master != null) {
                killTree(master);
            }
        }
        // This JVM was started by the same script as the training master, with the same -cp: its class path is
        // the master's, entry for entry, and the workers' is the master's less lib/master/, then worker_class_path.
        String classPath = System.getProperty("java.class.path");
        // The workers' -XX options go into the check of theirs: some decide whether an AOT cache maps at all
        // (-XX:+UseCompactObjectHeaders must be the training's).
        List<String> workerVmOptions = config.workerJvmOptions().stream().filter(o -> o.startsWith("-XX:")).toList();
        publish(workerDump, archives.lib().resolve(workerDump.getFileName()),
                ClassArchiveFingerprint.of(WorkerJvmClassPath.of(config.workerClassPath())), workerVmOptions, "worker", "workers");
        publish(masterDump, archives.lib().resolve(masterDump.getFileName()),
                ClassArchiveFingerprint.of(ClassArchiveFingerprint.entries(classPath)), List.of(), "master", "the master");
        return 0;
    }

    /** Why root must not write into {@code lib}: someone else could replace what it writes there. Null when it may. */
    private static String untrustedByRoot(Path lib) throws IOException {
        int uid = (Integer) Files.getAttribute(lib, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) Files.getAttribute(lib, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if (Files.isSymbolicLink(lib) || uid != 0 || (mode & 0022) != 0) {
            return lib + " must be a directory of root's that only root may write (uid " + uid + ", mode 0"
                    + Integer.toOctalString(mode & 07777) + "): root writes the class archives there";
        }
        return null;
    }

    /**
     * Moves a written archive to its name in lib/ with its training record, or says why there is none: the
     * distribution works without it, only its JVMs start slower.
     */
    private void publish(Path dump, Path archive, ClassArchiveFingerprint trainedWith, List<String> vmOptions,
            String whose, String who)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(dump, LinkOption.NOFOLLOW_LINKS) || Files.size(dump) == 0) {
            System.err.println("masterwork: [warn] this JVM (" + System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.vm.version") + ") wrote no " + whose + " class archive; " + who
                    + " start without one. Error log:\n" + tail(work.resolve("error.log")));
            return;
        }
        if (!opensCleanly(dump, trainedWith, vmOptions)) {
            System.err.println("masterwork: [warn] the " + whose + " class archive does not map (cut short?); " + who
                    + " start without one. Error log:\n" + tail(work.resolve("error.log")));
            return;
        }
        replace(archive, out -> Files.copy(dump, out));
        replace(ClassArchiveFingerprint.recordOf(archive),
                out -> out.write(trainedWith.text().getBytes(StandardCharsets.UTF_8)));
        System.out.println("masterwork: " + whose + " class archive " + archive + " (" + archives.format().description()
                + ", " + Files.size(archive) / 1024 + " KiB)");
    }

    private interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code target} anew: into a temporary file of its directory that this call creates (O_EXCL: never a file
     * or link someone put there), world-readable (the workers' user maps the archives), then renamed over the name.
     */
    private static void replace(Path target, Content content) throws IOException {
        Path temporary = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            try (OutputStream out = Files.newOutputStream(temporary, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                content.writeTo(out);
            }
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * The distribution's configuration with what the training needs over it: one worker writing its archive at exit,
     * a loopback port, and every file the master writes in this run's private directory.
     */
    private void writeConfig(Path conf, int port, String workerTrainingFlag) throws IOException {
        // A root build trains with root workers: they write the archive into this private temporary directory,
        // which a worker dropped to nobody (a root master's default) could neither enter nor write.
        Files.writeString(conf, String.join("\n",
                "include file(" + quote(configFile.toString()) + ")",
                "user = " + (root ? "root" : "null"),
                "daemon = false",
                "worker_processes = 1",
                "worker_spares = 0",
                "worker_cpu_affinity = off",
                "worker_shutdown_timeout = 60s",
                "worker_jvm_options = ${?worker_jvm_options} [" + quote(workerTrainingFlag) + "]",
                "listen = [" + quote("127.0.0.1:" + port) + "]",
                "status_listen = off",
                "pid = " + quote(work.resolve("masterwork.pid").toString()),
                "control_socket = " + quote(work.resolve("control.sock").toString()),
                "error_log = " + quote(work.resolve("error.log") + " info"),
                "http { access_log = " + quote(work.resolve("access.log").toString()) + " }",
                ""));
    }

    /**
     * A JVM that maps the archive starts and exits normally. A truncated CDS archive (a worker killed while
     * writing it) makes the JVM die of SIGBUS instead, a truncated AOT cache fails the check's {@code AOTMode=on}:
     * never publish one. With the class path it was trained with, the module option of every masterwork JVM and the
     * JVM's own {@code vmOptions}: an AOT cache maps only for the same ones ({@code AOTMode=on} fails otherwise).
     */
    private boolean opensCleanly(Path archive, ClassArchiveFingerprint trainedWith, List<String> vmOptions)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+IgnoreUnrecognizedVMOptions"));
        command.addAll(vmOptions);
        command.addAll(List.of("-Xlog:disable", "-XX:ErrorFile=" + work.resolve("hs_err_%p.log"),
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(archives.format().checkFlags(archive));
        command.add("-cp");
        command.add(trainedWith.classPath().stream().map(e -> e.path().toString())
                .collect(Collectors.joining(File.pathSeparator)));
        command.add("-version");
        Process java = new ProcessBuilder(command)
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!java.waitFor(120, TimeUnit.SECONDS)) {
            java.destroyForcibly();
            return false;
        }
        return java.exitValue() == 0;
    }

    /** GET / until a worker answers (whatever the application's answer to / is), as long as the master lives. */
    private static boolean awaitServing(Process master, int port) throws InterruptedException {
        long deadline = System.nanoTime() + SERVE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && master.isAlive()) {
            try {
                if (request(port, List.of("GET / HTTP/1.1\r\nHost: training\r\nConnection: close\r\n\r\n"))
                        .startsWith("HTTP/1.")) {
                    return true;
                }
            } catch (IOException notYet) {
                // not listening or not accepting yet
            }
            Thread.sleep(100);
        }
        return false;
    }

    /**
     * What a serving worker does besides start-up: keep-alive requests, the worker's own endpoint, a
     * streamed body, HEAD, an error answer, an unparsable request. Their classes then come from the archive.
     */
    private static void exercise(int port) {
        List<String> keepAlive = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keepAlive.add("GET / HTTP/1.1\r\nHost: training\r\n\r\n");
            keepAlive.add("GET /_worker HTTP/1.1\r\nHost: training\r\n\r\n");
            keepAlive.add("HEAD / HTTP/1.1\r\nHost: training\r\n\r\n");
        }
        keepAlive.add("GET /_bytes/262144 HTTP/1.1\r\nHost: training\r\nConnection: close\r\n\r\n");
        for (List<String> connection : List.of(keepAlive,
                List.of("GET /_bytes/not-a-number HTTP/1.1\r\nHost: training\r\nConnection: close\r\n\r\n"),
                List.of("POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello"),
                List.of("this is not http\r\n\r\n"))) {
            try {
                request(port, connection);
            } catch (IOException e) {
                // a connection the server cut: what it loaded until then is archived all the same
                System.err.println("masterwork: [info] class archives: a training request failed: " + e);
            }
        }
    }

    /** Writes the requests on one connection and reads until the server closes it (bounded). */
    private static String request(int port, List<String> requests) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            for (String r : requests) {
                out.write(r.getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            // the last request closes the connection (Connection: close, HTTP/1.0 or an error answer)
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private ProcessBuilder masterwork(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(command.toString());
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(work.toFile());
        Map<String, String> env = pb.environment();
        withoutMasterEnvironment(env);
        // The workers are trained on the JDK that runs this training; the script takes it from JAVA_HOME.
        env.put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }

    /**
     * An environment without what a running master hands its own processes: a training master must bind its own
     * loopback port, not adopt a listener named by a hand-over or by systemd, nor speak to systemd.
     */
    static void withoutMasterEnvironment(Map<String, String> env) {
        env.keySet().removeIf(name -> name.startsWith("MASTERWORK_") || name.startsWith("LISTEN_")
                || name.startsWith("WATCHDOG_") || name.equals("NOTIFY_SOCKET"));
    }

    private int fail(String why) throws IOException {
        System.err.println("masterwork: [emerg] class archives: " + why + "\nmaster output:\n"
                + read(work.resolve("master.out")) + "\nerror log:\n" + tail(work.resolve("error.log")));
        return 1;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    /** A HOCON string literal (JSON quoting). */
    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void killTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private static String tail(Path file) {
        List<String> lines = read(file).lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
