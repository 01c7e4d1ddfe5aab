package io.masterwork.distribution;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Turns masterwork's distribution, unpacked into a downstream project's {@code target/<name>-<version>/} with the
 * application's runtime jars in {@code lib/app/}, into that server's own distribution: {@code bin/<name>} (masterwork's
 * script under the server's name: the same options, signals and control socket), {@code conf/<name>.conf} naming
 * {@code lib/app/}'s jars in {@code worker_class_path} ahead of the project's own configuration, and the class-data
 * archives trained with the application's classes ({@code bin/<name> --train-archives}). Run by
 * {@code masterwork-server-parent}'s {@code package} phase (exec-maven-plugin, in Maven's JVM: it throws, never exits).
 *
 * <p>The application's jars stay in {@code lib/app/}, on the workers' class path only: the master, usually root,
 * never has application code on its own class path (a jar there could bring a service the master's libraries load).
 * A jar that masterwork's {@code lib/} has already (worker-api, Netty, Guice) is left out of {@code lib/app/}: the
 * workers have it, once.
 */
public final class ServerDistribution {
    private static final long TRAINING_TIMEOUT_SECONDS = 600;

    private final Path dir;
    private final String name;

    ServerDistribution(Path dir, String name) {
        this.dir = dir;
        this.name = name;
    }

    /**
     * {@code <packaging> <distribution directory> <name> <application jar> <configuration> <train: true|false>}; a
     * {@code pom} packaging (masterwork-server-parent's own build) has no server to make.
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 6) {
            throw new IllegalArgumentException("usage: ServerDistribution <packaging> <distribution directory> <name> "
                    + "<application jar> <configuration file> <train archives: true|false>");
        }
        if (args[0].equals("pom")) {
            return;
        }
        args = java.util.Arrays.copyOfRange(args, 1, args.length);
        String name = args[1];
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("the server's name must be a file name of letters, digits, '.', '_' "
                    + "and '-', not \"" + name + "\"");
        }
        ServerDistribution server = new ServerDistribution(Path.of(args[0]).toAbsolutePath().normalize(), name);
        server.build(Path.of(args[2]), Path.of(args[3]));
        if (Boolean.parseBoolean(args[4])) {
            server.trainArchives();
        }
    }

    void build(Path applicationJar, Path configuration) throws IOException {
        Path masterworkScript = dir.resolve("bin/masterwork");
        if (!Files.isRegularFile(masterworkScript) || !Files.isDirectory(dir.resolve("lib"))) {
            throw new IllegalStateException(dir + " does not hold masterwork's distribution (bin/masterwork, lib/)");
        }
        Path script = dir.resolve("bin").resolve(name);
        if (!script.equals(masterworkScript)) {
            Files.move(masterworkScript, script, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(dir.resolve("conf/masterwork.conf"));
        }
        Path appLib = Files.createDirectories(dir.resolve("lib/app"));
        if (!Files.isRegularFile(applicationJar)) {
            throw new IllegalStateException("the application's jar " + applicationJar + " does not exist: is the "
                    + "project's packaging jar?");
        }
        Files.copy(applicationJar, appLib.resolve(applicationJar.getFileName()), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.COPY_ATTRIBUTES);
        List<Path> applicationJars = withoutMasterworksOwn(appLib);
        // Archives of masterwork's distribution as it was built: they fit neither these paths nor these jars.
        for (String archive : List.of("worker.jsa", "master.jsa")) {
            Files.deleteIfExists(dir.resolve("lib").resolve(archive));
            Files.deleteIfExists(dir.resolve("lib").resolve(archive + ".trained"));
        }
        writeConfiguration(applicationJars, configuration);
        readableByWorkers();
    }

    /** lib/app/'s jars less those masterwork's lib/ (or lib/master/) has under the same name; sorted. */
    private List<Path> withoutMasterworksOwn(Path appLib) throws IOException {
        Set<String> masterworks = new HashSet<>();
        for (Path lib : List.of(dir.resolve("lib"), dir.resolve("lib/master"))) {
            try (Stream<Path> jars = Files.list(lib)) {
                jars.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).forEach(masterworks::add);
            }
        }
        List<Path> kept = new ArrayList<>();
        try (Stream<Path> jars = Files.list(appLib)) {
            for (Path jar : jars.sorted().toList()) {
                if (masterworks.contains(jar.getFileName().toString())) {
                    Files.delete(jar);
                } else {
                    kept.add(jar);
                }
            }
        }
        return kept;
    }

    /**
     * conf/&lt;name&gt;.conf: {@code worker_class_path} with lib/app/'s jars, found through {@code MASTERWORK_HOME} (set by
     * bin/&lt;name&gt;) wherever the distribution is installed, then the project's configuration as written, which may
     * set anything else (and could set {@code worker_class_path} again, replacing this one).
     */
    private void writeConfiguration(List<Path> applicationJars, Path configuration) throws IOException {
        StringBuilder conf = new StringBuilder();
        conf.append("# ").append(name).append(" on masterwork. The application's jars, in lib/app/ (written by the build):\n");
        conf.append("worker_class_path = [\n");
        for (Path jar : applicationJars) {
            conf.append("  ${MASTERWORK_HOME}\"/lib/app/").append(jar.getFileName()).append("\"\n");
        }
        conf.append("]\n\n");
        if (Files.isRegularFile(configuration)) {
            conf.append("# From ").append(configuration.getFileName()).append(":\n");
            conf.append(Files.readString(configuration, StandardCharsets.UTF_8));
        }
        Path target = Files.createDirectories(dir.resolve("conf")).resolve(name + ".conf");
        Files.writeString(target, conf, StandardCharsets.UTF_8);
    }

    /** Directories 0755, files 0644, bin/ 0755: a root master's workers (nobody) read lib/ and conf/. */
    private void readableByWorkers() throws IOException {
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path p : tree.sorted(Comparator.naturalOrder()).toList()) {
                boolean executable = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || p.getParent().equals(dir.resolve("bin"));
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    /** bin/&lt;name&gt; --train-archives: a real master with the project's configuration and application, as built. */
    void trainArchives() throws IOException, InterruptedException {
        ProcessBuilder training = new ProcessBuilder(dir.resolve("bin").resolve(name).toString(), "--train-archives")
                .directory(dir.toFile()).inheritIO();
        training.environment().keySet().removeIf(key -> key.startsWith("MASTERWORK_"));
        // the workers are trained on the JDK that runs this build
        training.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = training.start();
        if (!p.waitFor(TRAINING_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new IllegalStateException("training the class-data archives took more than " + TRAINING_TIMEOUT_SECONDS + " s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("training the class-data archives of " + dir + " failed (exit "
                    + p.exitValue() + ", above)");
        }
    }
}
