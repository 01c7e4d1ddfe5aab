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
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * lib/worker.jsa and lib/master.jsa, the workers' and the master's AppCDS archives written by the build
 * (ClassArchiveTraining): real workers and masters started from the distribution map them, and the native
 * libraries of lib/native; a copied distribution (the archives no longer match its class path) and one without
 * the archives still start a master whose workers serve, and say nothing about it.
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
        // (a worker's /proc/<pid>/cmdline holds its title, not its flags: what it mapped is the proof)
        for (long worker : master.workers()) {
            assertThat(maps(worker)).as("worker %d maps the archive", worker).contains(archive.toString())
                    .contains(natives.resolve("libjffi-1.2.so").toString())
                    .contains(natives.resolve("libnetty_transport_native_epoll_x86_64.so").toString());
        }
        assertThat(maps(master.master().pid())).as("the master maps its archive").contains(masterArchive.toString())
                .contains(natives.resolve("libjffi-1.2.so").toString());
        assertThat(master.errorLog()).doesNotContain("[cds");
        master.stop();
    }

    @Test
    void aCopiedDistributionAndOneWithoutTheArchiveStillServe() throws Exception {
        Path copy = tmp.resolve("copy");
        copyTree(Distribution.HOME, copy);
        Path archive = copy.resolve("lib/worker.jsa");
        assertThat(archive).isRegularFile();

        // the archive names the original jars: stale for the copy, ignored in silence
        Running stale = start(copy, tmp.resolve("stale"), 1);
        assertThat(maps(stale.workers().get(0))).doesNotContain("worker.jsa");
        assertThat(maps(stale.master().pid())).doesNotContain("master.jsa");
        assertThat(stale.errorLog()).doesNotContain("[cds").doesNotContain("shared archive");
        assertThat(stale.prefix().resolve("master.out")).content().doesNotContain("[cds").doesNotContain("shared archive");
        stale.stop();

        Files.delete(archive);
        Files.delete(copy.resolve("lib/master.jsa"));
        Running without = start(copy, tmp.resolve("without"), 1);
        assertThat(maps(without.workers().get(0))).doesNotContain("worker.jsa");
        assertThat(maps(without.master().pid())).doesNotContain("master.jsa");
        assertThat(without.errorLog()).doesNotContain("[cds").doesNotContain("shared archive");
        without.stop();
    }

    private Running start(Path home, Path prefix, int workers) throws IOException {
        int port = Distribution.freePort();
        Distribution.writeConfig(prefix, "worker_processes = " + workers + "\nworker_cpu_affinity = off\n"
                + "listen = \"127.0.0.1:" + port + "\"\nerror_log = \"logs/error.log info\"\n");
        Path out = prefix.resolve("master.out");
        Process master = Distribution.command(prefix, List.of(home.resolve("bin/masterwork").toString()))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        dist.track(master.pid());
        Running running = new Running(master, prefix, port);
        await().atMost(START).until(() -> running.serves() || !master.isAlive());
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
