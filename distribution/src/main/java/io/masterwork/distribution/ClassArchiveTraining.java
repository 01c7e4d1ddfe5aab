package io.masterwork.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Writes {@code <distribution>/lib/worker.jsa} and {@code lib/master.jsa}, the AppCDS archives of the worker's
 * and the master's classes (JDK 17 dynamic archives), by running the distribution once as a user would: a real
 * master with one worker on a free loopback port, both JVMs with {@code -XX:ArchiveClassesAtExit}; a few HTTP
 * requests so the serving path's classes are loaded too; then {@code bin/masterwork -s quit}: the worker
 * writes its archive as it exits, the master its own after.
 *
 * <p>Why a real run and not a list of classes: the archive holds exactly what a worker loads, in the order
 * and from the class path the master gives it. The JVM accepts an archive only for the very class path it
 * was written with (JDK 17 checks every jar's path, size and modification time), so the archive is
 * written for the distribution at its final place: a copied or moved distribution needs a fresh run
 * ({@code ./masterwork} does that for each of its builds). A stale, foreign (another JDK) or missing archive
 * costs only speed: the master adds {@code -XX:SharedArchiveFile} only when the file exists, workers run with
 * {@code -Xshare:auto}, and the archive appears under its name only once complete (a truncated archive
 * would crash the JVM that maps it).
 *
 * <p>Exit status: 0 with the archives, or when this JVM cannot write them at all (a warning says so: the
 * distribution still works); 1 when the training master did not serve or stop (something is broken).
 */
public final class ClassArchiveTraining {
    static final String WORKER_ARCHIVE = "worker.jsa";
    /** Used by bin/masterwork for the master's JVM (both of its images: before and after the signal re-exec). */
    static final String MASTER_ARCHIVE = "master.jsa";
    private static final Duration SERVE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(180);

    private final Path home;
    private final Path work;

    private ClassArchiveTraining(Path home, Path work) {
        this.home = home;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ClassArchiveTraining <distribution directory>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath().normalize();
        if (!Files.isExecutable(home.resolve("bin/masterwork")) || !Files.isDirectory(home.resolve("lib"))) {
            System.err.println("masterwork: [emerg] " + home + " is not a distribution (bin/masterwork, lib/)");
            System.exit(1);
        }
        Path work = Files.createTempDirectory("masterwork-worker-archive-");
        int status;
        try {
            status = new ClassArchiveTraining(home, work).run();
        } finally {
            deleteTree(work);
        }
        System.exit(status);
    }

    private int run() throws IOException, InterruptedException {
        Path lib = home.resolve("lib");
        Path archive = lib.resolve(WORKER_ARCHIVE);
        Path partial = lib.resolve(WORKER_ARCHIVE + ".partial");
        Path masterArchive = lib.resolve(MASTER_ARCHIVE);
        Path masterPartial = lib.resolve(MASTER_ARCHIVE + ".partial");
        // Gone before the master starts, so that neither it nor its workers map an old archive while writing
        // the new one. A running process that maps one keeps its copy (unlink, never truncate).
        for (Path old : List.of(archive, partial, masterArchive, masterPartial)) {
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
                writeConfig(conf, candidate, partial);
                ProcessBuilder start = masterwork("-c", conf.toString(), "-p", work.toString());
                start.environment().put("MASTERWORK_JAVA_OPTS", "-XX:ArchiveClassesAtExit=" + masterPartial);
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
            Process quit = masterwork("-c", conf.toString(), "-p", work.toString(), "-s", "quit")
                    .redirectErrorStream(true).redirectOutput(work.resolve("quit.out").toFile()).start();
            if (!quit.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || quit.exitValue() != 0) {
                quit.destroyForcibly();
                return fail("`masterwork -s quit` failed: " + read(work.resolve("quit.out")));
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
        publish(partial, archive, "worker", "workers");
        publish(masterPartial, masterArchive, "master", "the master");
        return 0;
    }

    /**
     * Moves a written archive to its name, or says why there is none: the distribution works without it, only
     * its JVMs start slower.
     */
    private void publish(Path partial, Path archive, String whose, String who) throws IOException, InterruptedException {
        if (!Files.isRegularFile(partial) || Files.size(partial) == 0) {
            System.err.println("masterwork: [warn] this JVM (" + System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.vm.version") + ") wrote no " + whose + " class archive; " + who
                    + " start without one. Error log:\n" + tail(work.resolve("error.log")));
            return;
        }
        if (!opensCleanly(partial)) {
            Files.deleteIfExists(partial);
            System.err.println("masterwork: [warn] the " + whose + " class archive does not open (cut short?); " + who
                    + " start without one. Error log:\n" + tail(work.resolve("error.log")));
            return;
        }
        Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("masterwork: " + whose + " class archive " + archive + " (" + Files.size(archive) / 1024 + " KiB)");
    }

    private void writeConfig(Path conf, int port, Path partial) throws IOException {
        // A root build trains with root workers: they write the archive into this private temporary directory,
        // which a worker dropped to nobody (a root master's default) could neither enter nor write.
        boolean root = Integer.valueOf(0).equals(Files.getAttribute(work, "unix:uid"));
        Files.writeString(conf, String.join("\n",
                root ? "user = root" : "",
                "worker_processes = 1",
                "worker_cpu_affinity = off",
                "worker_shutdown_timeout = 60s",
                "worker_jvm_options = [" + quote("-XX:ArchiveClassesAtExit=" + partial) + "]",
                "listen = " + quote("127.0.0.1:" + port),
                "pid = " + quote(work.resolve("masterwork.pid").toString()),
                "error_log = " + quote(work.resolve("error.log") + " info"),
                "http { access_log = " + quote(work.resolve("access.log").toString()) + " }",
                ""));
    }

    /**
     * A JVM that maps the archive starts and exits normally. A truncated archive (a worker killed while
     * writing it) makes the JVM die of SIGBUS instead: never publish one.
     */
    private boolean opensCleanly(Path archive) throws IOException, InterruptedException {
        Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-Xlog:disable", "-XX:ErrorFile=" + work.resolve("hs_err_%p.log"),
                "-XX:SharedArchiveFile=" + archive, "-version")
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!java.waitFor(120, TimeUnit.SECONDS)) {
            java.destroyForcibly();
            return false;
        }
        return java.exitValue() == 0;
    }

    /** GET / until the worker answers 200, as long as the master lives. */
    private static boolean awaitServing(Process master, int port) throws InterruptedException {
        long deadline = System.nanoTime() + SERVE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && master.isAlive()) {
            try {
                if (request(port, List.of("GET / HTTP/1.1\r\nHost: training\r\nConnection: close\r\n\r\n"))
                        .startsWith("HTTP/1.1 200")) {
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
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/masterwork").toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile());
        Map<String, String> env = pb.environment();
        // The workers are trained on the JDK that runs this build; bin/masterwork takes it from JAVA_HOME.
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("MASTERWORK_JAVA_OPTS");
        env.remove("MASTERWORK_SIGNALS_ROUTED");
        env.remove("MASTERWORK_DAEMON");
        return pb;
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
