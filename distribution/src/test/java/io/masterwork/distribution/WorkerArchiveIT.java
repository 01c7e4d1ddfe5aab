package io.masterwork.distribution;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * lib/worker.jsa and lib/master.jsa, the workers' and the master's AppCDS archives written by the build
 * (ClassArchiveTraining): real workers and masters started from the distribution map them, and the native
 * libraries of lib/native; a copied distribution (the archives no longer match its class path) is never run with
 * stale archives in silence: its master says why and retrains them (or, as root, names the command that does);
 * one built without archives serves and says nothing about them.
 */
class WorkerArchiveIT {
    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    private final Distribution dist = new Distribution();

    @AfterEach
    void killEverythingStarted() {
        dist.killAll();
    }

    @Test
    void workersOfTheDistributionMapItsClassArchive() throws Exception {
        Path archive = Distribution.HOME.resolve("lib/worker.jsa");
        assertThat(archive).isRegularFile();
        assertThat(Files.size(archive)).isPositive();
        assertThat(Files.getPosixFilePermissions(archive)).contains(PosixFilePermission.OTHERS_READ);
        assertThat(Distribution.HOME.resolve("lib/worker.jsa.partial")).doesNotExist();

        Path masterArchive = Distribution.HOME.resolve("lib/master.jsa");
        assertThat(masterArchive).isRegularFile();
        assertThat(Distribution.HOME.resolve("lib/master.jsa.partial")).doesNotExist();
        Path natives = Distribution.HOME.resolve("lib/native");

        Running master = start(Distribution.HOME, tmp.resolve("prefix"), 2);
        // (a worker's /proc/<pid>/cmdline holds its title, not its flags: what it mapped is the proof). One worker
        // serves; the other may still be starting, before it loads Netty's epoll library: awaited, bounded.
        for (long worker : master.workers()) {
            await().atMost(START).untilAsserted(() -> assertThat(maps(worker)).as("worker %d maps the archive", worker)
                    .contains(archive.toString())
                    .contains(natives.resolve("libjffi-1.2.so").toString())
                    .contains(natives.resolve("libnetty_transport_native_epoll_x86_64.so").toString()));
        }
        assertThat(maps(master.master().pid())).as("the master maps its archive").contains(masterArchive.toString())
                .contains(natives.resolve("libjffi-1.2.so").toString());
        assertThat(master.errorLog()).doesNotContain("[cds");
        master.stop();
    }

    /**
     * A distribution copied elsewhere (as a container image's COPY does): its archives name the original jars. Its
     * first start says why they do not fit, retrains them for the copy, and its workers map the new worker archive;
     * the next start says nothing and its master maps the new master archive. Run by a user who owns the copy, as
     * the retraining runs the application and a root master does not (next test): as root, the copy goes to nobody.
     */
    @Test
    void aCopiedDistributionRetrainsItsArchivesAtItsFirstStartAndThenMapsThem() throws Exception {
        Path copy = tmp.resolve("copy");
        copyTree(Distribution.HOME, copy);
        Path archive = copy.resolve("lib/worker.jsa");
        Path masterArchive = copy.resolve("lib/master.jsa");
        assertThat(archive).isRegularFile();
        long trainedBefore = Files.getLastModifiedTime(archive).toMillis();
        Path prefix = tmp.resolve("first");
        Files.createDirectories(prefix);
        List<String> asOwner = ownedByAnOrdinaryUser(copy, prefix, tmp.resolve("second"));

        Running first = start(asOwner, copy, prefix, 1);
        String said = Files.readString(first.prefix().resolve("master.out"));
        assertThat(said).containsOnlyOnce("retraining the class-data archives")
                .contains("worker.jsa, master.jsa: it was trained with the jars in " + Distribution.HOME.resolve("lib")
                        + ", these are in " + copy.resolve("lib") + " (a copied or moved distribution)")
                .contains("masterwork: worker class archive " + archive);
        assertThat(Files.getLastModifiedTime(archive).toMillis()).isNotEqualTo(trainedBefore);
        assertThat(copy.resolve("lib/worker.jsa.trained")).content().contains(copy.resolve("lib").toString())
                .doesNotContain(Distribution.HOME.resolve("lib").toString());
        assertThat(maps(first.workers().get(0))).as("the worker maps the retrained archive").contains(archive.toString());
        first.stop();

        Running second = start(asOwner, copy, tmp.resolve("second"), 1);
        assertThat(second.prefix().resolve("master.out")).content().doesNotContain("class-data archive");
        assertThat(maps(second.workers().get(0))).contains(archive.toString());
        assertThat(maps(second.master().pid())).as("the master maps its retrained archive").contains(masterArchive.toString());

        // a jar replaced under the running master: the next worker goes without the archive, and the master says why
        Path jar = copy.resolve("lib/worker-api-" + Distribution.VERSION + ".jar");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5000));
        long replaced = second.workers().get(0);
        ProcessHandle.of(replaced).ifPresent(ProcessHandle::destroyForcibly);
        await().atMost(START).until(() -> {
            List<Long> now = second.workers(); // one look: the killed worker may be reaped between two
            return now.size() == 1 && now.get(0) != replaced && second.serves();
        });
        assertThat(maps(second.workers().get(0))).doesNotContain("worker.jsa");
        assertThat(second.errorLog()).containsOnlyOnce("workers start without the class-data archive " + archive + ": "
                + jar + " changed since it was trained; `" + copy.resolve("bin/masterwork") + " --train-archives` retrains it");
        second.stop();
    }

    /**
     * A root master does not retrain (its training worker would run the application as root): it says that the
     * archives do not fit and names the install command, maps none, and after that command maps both.
     */
    @Test
    void aRootMasterStartsACopyWithoutItsStaleArchivesSaysSoAndTheInstallCommandRetrainsThem() throws Exception {
        assumeTrue(root(), "only a root master declines to retrain");
        Path copy = tmp.resolve("copy");
        copyTree(Distribution.HOME, copy);
        openToOthers(copy);
        Path archive = copy.resolve("lib/worker.jsa");

        Running stale = start(List.of(), copy, tmp.resolve("stale"), 1);
        assertThat(stale.prefix().resolve("master.out")).content()
                .contains("[warn] the class-data archives [" + archive + ", " + copy.resolve("lib/master.jsa")
                        + "] do not fit this distribution (worker.jsa, master.jsa: it was trained with the jars in " + Distribution.HOME.resolve("lib"))
                .contains("starting without them. Retrain them at install, as root: `" + copy.resolve("bin/masterwork")
                        + " --train-archives`");
        assertThat(maps(stale.workers().get(0))).doesNotContain("worker.jsa");
        assertThat(maps(stale.master().pid())).doesNotContain("master.jsa");
        stale.stop();

        Distribution.Result trained = dist.run(Distribution.command(tmp,
                List.of(copy.resolve("bin/masterwork").toString(), "--train-archives")), 300);
        assertThat(trained.exit()).as(trained.toString()).isZero();
        Running retrained = start(List.of(), copy, tmp.resolve("retrained"), 1);
        assertThat(retrained.prefix().resolve("master.out")).content().doesNotContain("class-data archive");
        assertThat(maps(retrained.workers().get(0))).contains(archive.toString());
        assertThat(maps(retrained.master().pid())).contains(copy.resolve("lib/master.jsa").toString());
        retrained.stop();
    }

    /**
     * The same distribution on JDK 25 (when one is installed): its JDK 17 archives are another JDK's, so its first
     * start says so and trains AOT caches (lib/worker.aot, lib/master.aot) in their place, which the next start's
     * workers and master map without a word; back on JDK 17, the caches are another JDK's in turn and AppCDS
     * archives are trained again. Run as an ordinary user who owns the copy, as the retraining test above.
     */
    @Test
    void onJdk25ItTrainsAotCachesAndMapsThemAndAJdkChangeRetrainsEitherWay() throws Exception {
        Path jdk25 = installedJdk25();
        Path jdk17 = Path.of(System.getProperty("java.home")).toRealPath();
        Path copy = tmp.resolve("copy");
        copyTree(Distribution.HOME, copy);
        Path lib = copy.resolve("lib");
        List<String> asOwner = ownedByAnOrdinaryUser(copy, tmp.resolve("first"), tmp.resolve("second"), tmp.resolve("back"));

        Running first = start(asOwner, jdk25, copy, tmp.resolve("first"), 1);
        assertThat(first.prefix().resolve("master.out")).content()
                .containsOnlyOnce("retraining the class-data archives [" + lib.resolve("worker.jsa") + ", " + lib.resolve("master.jsa") + "]")
                .contains("worker.jsa, master.jsa: it was trained with the JDK " + System.getProperty("java.vm.version") + " in " + jdk17
                        + ", this is ")
                .contains(" in " + jdk25 + ")")
                .contains("masterwork: worker class archive " + lib.resolve("worker.aot") + " (AOT cache, ")
                .contains("masterwork: master class archive " + lib.resolve("master.aot") + " (AOT cache, ");
        assertThat(lib.resolve("worker.jsa")).doesNotExist();
        assertThat(lib.resolve("master.jsa")).doesNotExist();
        assertThat(lib.resolve("worker.aot.trained")).content().contains("java.home=" + jdk25 + "\n");
        assertThat(maps(first.workers().get(0))).as("the worker maps the AOT cache").contains(lib.resolve("worker.aot").toString());
        first.stop();

        Running second = start(asOwner, jdk25, copy, tmp.resolve("second"), 2);
        assertThat(second.prefix().resolve("master.out")).content().doesNotContain("class-data archive")
                .doesNotContain("[aot").doesNotContain("[cds");
        for (long worker : second.workers()) {
            await().atMost(START).untilAsserted(() -> assertThat(maps(worker)).contains(lib.resolve("worker.aot").toString()));
        }
        assertThat(maps(second.master().pid())).as("the master maps its AOT cache").contains(lib.resolve("master.aot").toString());
        assertThat(second.errorLog()).doesNotContain("[aot").doesNotContain("[cds").doesNotContain("AOT cache");
        second.stop();

        Running back = start(asOwner, jdk17, copy, tmp.resolve("back"), 1);
        assertThat(back.prefix().resolve("master.out")).content()
                .containsOnlyOnce("retraining the class-data archives [" + lib.resolve("worker.aot") + ", " + lib.resolve("master.aot") + "]")
                .contains("it was trained with the JDK ")
                .contains("masterwork: worker class archive " + lib.resolve("worker.jsa") + " (AppCDS archive, ");
        assertThat(lib.resolve("worker.aot")).doesNotExist();
        assertThat(maps(back.workers().get(0))).contains(lib.resolve("worker.jsa").toString());
        back.stop();
    }

    /** As root, on JDK 25, the JDK 17 archives are left out with one line, and nothing else is said about them. */
    @Test
    void aRootMasterOnJdk25LeavesTheJdk17ArchivesOutWithOneLine() throws Exception {
        assumeTrue(root(), "only a root master declines to retrain");
        Path jdk25 = installedJdk25();
        Path copy = tmp.resolve("copy");
        copyTree(Distribution.HOME, copy);
        openToOthers(copy);

        // the JDK is the first thing a record is checked for: it is named even though the copy moved too
        Running stale = start(List.of(), jdk25, copy, tmp.resolve("stale"), 1);
        String said = Files.readString(stale.prefix().resolve("master.out"));
        assertThat(said).containsOnlyOnce("[warn] the class-data archives [" + copy.resolve("lib/worker.jsa") + ", "
                        + copy.resolve("lib/master.jsa") + "] do not fit this distribution (worker.jsa, master.jsa: it was trained with the JDK ")
                .contains("starting without them").doesNotContain("[aot").doesNotContain("[cds");
        assertThat(said.lines().filter(l -> l.contains("class-data")).count()).isEqualTo(1);
        assertThat(maps(stale.workers().get(0))).doesNotContain("worker.jsa").doesNotContain("worker.aot");
        assertThat(maps(stale.master().pid())).doesNotContain("master.jsa");
        assertThat(stale.errorLog()).doesNotContain("[aot").doesNotContain("[cds");
        stale.stop();
    }

    /** The home of an installed JDK 25 or later; the test is skipped, saying so, when there is none. */
    private static Path installedJdk25() throws IOException {
        String named = System.getProperty("masterwork.jdk25");
        if (named != null && !named.isEmpty()) {
            return Path.of(named).toRealPath();
        }
        Path running = Path.of(System.getProperty("java.home")).toRealPath();
        try (Stream<Path> homes = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path home : homes.sorted().toList()) {
                if (!home.toRealPath().equals(running) && Files.isExecutable(home.resolve("bin/java"))
                        && Files.readString(home.resolve("release")).matches("(?s).*JAVA_VERSION=\"(2[5-9]|[3-9][0-9])[.\"].*")) {
                    return home.toRealPath();
                }
            }
        } catch (IOException none) {
            // no /usr/lib/jvm, or a JDK without a release file
        }
        assumeTrue(false, "no JDK 25 or later under /usr/lib/jvm (or -Dmasterwork.jdk25): the AOT cache is not tried");
        throw new AssertionError("unreachable");
    }

    @Test
    void aDistributionWithoutArchivesServesAndSaysNothingAboutThem() throws Exception {
        Path copy = tmp.resolve("copy");
        copyTree(Distribution.HOME, copy);
        openToOthers(copy);
        for (String name : List.of("worker.jsa", "worker.jsa.trained", "master.jsa", "master.jsa.trained")) {
            Files.delete(copy.resolve("lib").resolve(name));
        }
        Running without = start(List.of(), copy, tmp.resolve("without"), 1);
        assertThat(maps(without.workers().get(0))).doesNotContain("worker.jsa");
        assertThat(maps(without.master().pid())).doesNotContain("master.jsa");
        assertThat(without.errorLog()).doesNotContain("[cds").doesNotContain("shared archive").doesNotContain("class-data");
        assertThat(without.prefix().resolve("master.out")).content().doesNotContain("[cds").doesNotContain("class-data");
        without.stop();
    }

    private static boolean root() throws IOException {
        return Integer.valueOf(0).equals(Files.getAttribute(Path.of(System.getProperty("java.io.tmpdir")), "unix:uid"))
                && "root".equals(System.getProperty("user.name"));
    }

    /**
     * The command prefix that runs the distribution as an ordinary user who owns {@code paths}: nothing when this
     * test is not root; as root, nobody (setpriv), given the paths and a way to them.
     */
    private List<String> ownedByAnOrdinaryUser(Path... paths) throws IOException {
        if (!root()) {
            return List.of();
        }
        openToOthers(tmp);
        for (Path path : paths) {
            Files.createDirectories(path);
            try (Stream<Path> tree = Files.walk(path)) {
                for (Path p : tree.toList()) {
                    Files.setAttribute(p, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", 65534, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
        return List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--");
    }

    /** The temporary directories down to {@code dir} enterable by the workers' user (nobody). */
    private void openToOthers(Path dir) throws IOException {
        Path top = tmp.getParent();
        for (Path p = dir; p != null && !p.equals(top); p = p.getParent()) {
            Set<PosixFilePermission> permissions = new HashSet<>(Files.getPosixFilePermissions(p));
            permissions.addAll(PosixFilePermissions.fromString("r-xr-xr-x"));
            Files.setPosixFilePermissions(p, permissions);
        }
    }

    private Running start(Path home, Path prefix, int workers) throws IOException {
        return start(List.of(), home, prefix, workers);
    }

    private Running start(List<String> runAs, Path home, Path prefix, int workers) throws IOException {
        return start(runAs, Path.of(System.getProperty("java.home")), home, prefix, workers);
    }

    /**
     * Starts {@code home}'s bin/masterwork in {@code prefix} on the JDK {@code jdk}, behind {@code runAs} (a command
     * prefix, or nothing).
     */
    private Running start(List<String> runAs, Path jdk, Path home, Path prefix, int workers) throws IOException {
        int port = Distribution.freePort();
        // No spares (worker_spares = auto by default): the archives are the subject, and workers() counts children.
        Distribution.writeConfig(prefix, "worker_processes = " + workers + "\nworker_spares = 0\nworker_cpu_affinity = off\n"
                + "listen = \"127.0.0.1:" + port + "\"\nerror_log = \"logs/error.log info\"\n");
        Path out = prefix.resolve("master.out");
        List<String> command = new ArrayList<>(runAs);
        command.add(home.resolve("bin/masterwork").toString());
        ProcessBuilder starting = Distribution.command(prefix, command).redirectErrorStream(true).redirectOutput(out.toFile());
        starting.environment().put("JAVA_HOME", jdk.toString());
        Process master = starting.start();
        dist.track(master.pid());
        Running running = new Running(master, prefix, port);
        // a first start of a copy trains its archives before it serves
        await().atMost(START.multipliedBy(3)).until(() -> running.serves() || !master.isAlive());
        assertThat(master.isAlive()).as(Files.readString(out)).isTrue();
        await().atMost(START).until(() -> running.workers().size() == workers);
        return running;
    }

    private record Running(Process master, Path prefix, int port) {
        boolean serves() {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200");
            } catch (IOException e) {
                return false;
            }
        }

        List<Long> workers() {
            return master.children().map(ProcessHandle::pid).toList();
        }

        String errorLog() throws IOException {
            return Files.readString(prefix.resolve("logs/error.log"));
        }

        void stop() throws InterruptedException {
            master.toHandle().destroy();
            assertThat(master.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static String maps(long pid) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(pid), "maps"), StandardCharsets.UTF_8);
    }

    /** A copy with the same sizes and modification times: only the path differs. */
    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
