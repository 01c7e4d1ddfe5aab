package io.masterwork.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The assembled distribution (target/masterwork-&lt;version&gt;/) as a user runs it: bin/masterwork in a
 * real process. Every process a test starts through here is killed (with its descendants, by pid) by
 * {@link #killAll()}.
 */
final class Distribution {
    static final Path HOME = readableByWorkers(Path.of(System.getProperty("masterwork.dist", "target/masterwork-unknown"))
            .toAbsolutePath().normalize());
    static final String VERSION = System.getProperty("masterwork.version", "unknown");

    private final List<Long> started = new ArrayList<>();

    /**
     * The distribution where a root master's workers (nobody) may read it. A clone under a 0700 directory (root's
     * home) builds a distribution nobody can enter: started from there, a root master rightly refuses ("cannot read
     * ... (the class path)"), which is the product's answer, not what these tests are about. Then the tests run a
     * copy in a world-readable temporary directory, with its class archives written anew by the same training the
     * build runs (an archive is valid only for the jar paths it was written with).
     */
    private static Path readableByWorkers(Path built) {
        if (!Files.isDirectory(built) || othersMayEnter(built)) {
            return built;
        }
        try {
            Path dir = Files.createTempDirectory("masterwork-dist-");
            Path copy = dir.resolve(built.getFileName());
            try (java.util.stream.Stream<Path> tree = Files.walk(built)) {
                for (Path source : (Iterable<Path>) tree::iterator) {
                    Path target = copy.resolve(built.relativize(source).toString());
                    if (Files.isDirectory(source, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createDirectories(target);
                    } else if (!source.getFileName().toString().matches(".*\\.jsa(\\.trained)?")) {
                        Files.copy(source, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
            for (Path p = copy; !p.equals(dir.getParent()); p = p.getParent()) {
                Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            ProcessBuilder train = new ProcessBuilder(copy.resolve("bin/masterwork").toString(), "--train-archives").inheritIO();
            train.environment().put("JAVA_HOME", System.getProperty("java.home"));
            Process training = train.start();
            if (!training.waitFor(180, TimeUnit.SECONDS) || training.exitValue() != 0) {
                training.destroyForcibly();
                throw new IllegalStateException("the class archives of the copy " + copy + " could not be written");
            }
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every directory from the root down to {@code dir} can be searched by users other than its owner. */
    private static boolean othersMayEnter(Path dir) {
        try {
            for (Path p = dir; p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static Path bin() {
        return HOME.resolve("bin/masterwork");
    }

    /** A loopback port nobody listens on right now (asked from the kernel). */
    static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code prefix}/conf/masterwork.conf, and opens the prefix and the temporary directories above it to
     * everyone's search and read (0755), as an operator's prefix is: a master started as root runs its workers as
     * nobody, who must enter the prefix (their working directory) and its logs, and refuses to start otherwise.
     */
    static Path writeConfig(Path prefix, String text) throws IOException {
        Path conf = prefix.resolve("conf/masterwork.conf");
        Files.createDirectories(conf.getParent());
        Files.writeString(conf, text);
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        for (Path p = prefix.toAbsolutePath().normalize(); p != null && p.startsWith(tmp) && !p.equals(tmp); p = p.getParent()) {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> permissions = new java.util.HashSet<>(
                    Files.getPosixFilePermissions(p));
            permissions.addAll(java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(p, permissions);
        }
        return conf;
    }

    static ProcessBuilder command(Path cwd, List<String> program, String... args) {
        List<String> cmd = new ArrayList<>(program);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        Map<String, String> env = pb.environment();
        // a Maven build around the test must not leak into the processes it starts
        env.remove("MAVEN_PROJECTBASEDIR");
        env.remove("MAVEN_BASEDIR");
        env.remove("MASTERWORK_SIGNALS_ROUTED");
        env.remove("MASTERWORK_DAEMON");
        return pb;
    }

    /** Runs bin/masterwork with {@code args} in {@code cwd} to completion (bounded) and returns what it printed. */
    Result run(Path cwd, String... args) {
        return run(command(cwd, List.of(bin().toString()), args), 120);
    }

    Result run(ProcessBuilder pb, int timeoutSeconds) {
        try {
            Process p = pb.start();
            started.add(p.pid());
            p.getOutputStream().close();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                killTree(p.pid());
                throw new AssertionError(pb.command() + " did not finish within " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Starts bin/masterwork and leaves it running, output to {@code output} (stdout and stderr). */
    Process start(Path cwd, Path output, String... args) throws IOException {
        ProcessBuilder pb = command(cwd, List.of(bin().toString()), args)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        Process p = pb.start();
        started.add(p.pid());
        p.getOutputStream().close();
        return p;
    }

    /** Remembers a pid the test did not start directly (a daemonized master), so it is killed too. */
    void track(long pid) {
        started.add(pid);
    }

    void killAll() {
        for (long pid : started) {
            killTree(pid);
        }
        started.clear();
    }

    static void killTree(long pid) {
        ProcessHandle.of(pid).ifPresent(p -> {
            List<ProcessHandle> descendants = p.descendants().toList();
            p.destroyForcibly();
            descendants.forEach(ProcessHandle::destroyForcibly);
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // reaped by its parent elsewhere, or gone already
            }
        });
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        });
    }

    record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }
}
