package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.TestDirectories;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Issue "systemd": a real master speaks sd_notify to a real AF_UNIX datagram socket standing in for
 * systemd's (NOTIFY_SOCKET), and serves listening sockets this test bound and passed at fd 3 the way
 * systemd's socket activation does (LISTEN_FDS, LISTEN_PID = the master's pid).
 */
class SystemdIT {
    private static final Posix posix = NativePosix.get();
    private static final Duration WAIT = Duration.ofSeconds(60);

    /**
     * systemd's side of NOTIFY_SOCKET with NotifyAccess=main: every datagram the service's main process sent, in
     * order. As systemd does, each sender is known by the kernel's SCM_CREDENTIALS, only the main process is heard
     * (what others say is kept apart, in {@link #dropped()}), and MAINPID= from the main process moves it.
     */
    private static final class NotifySocket implements AutoCloseable {
        final String address;
        private final int fd;
        private final Path dir;
        private final List<String> received = new ArrayList<>();
        private final List<String> dropped = new ArrayList<>();
        private int mainPid;
        private int consumed;

        NotifySocket(boolean abstractName) throws IOException {
            dir = abstractName ? null : TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-notify-"));
            address = abstractName ? "@masterwork-it-notify-" + posix.getpid() + "-" + System.nanoTime()
                    : dir.resolve("notify").toString();
            fd = posix.unixDatagramSocket();
            posix.passCredentials(fd);
            posix.bindUnix(fd, address);
            posix.setNonBlocking(fd, true);
        }

        /** The process systemd started: the only one heard until it names another with MAINPID=. */
        void mainPid(int pid) {
            mainPid = pid;
        }

        private void drain() {
            assertThat(mainPid).as("mainPid(master.pid()) first").isPositive();
            for (;;) {
                ByteBuffer in = ByteBuffer.allocate(4096);
                io.masterwork.posix.SenderCredentials got = posix.receiveWithCredentials(fd, in);
                if (got == null) {
                    return;
                }
                String datagram = new String(in.array(), 0, got.bytes(), StandardCharsets.UTF_8);
                if (got.sender().pid() != mainPid) {
                    dropped.add("from pid " + got.sender().pid() + " (main: " + mainPid + "): " + datagram);
                    continue;
                }
                received.add(datagram);
                for (String line : datagram.split("\n")) {
                    if (line.startsWith("MAINPID=")) {
                        mainPid = Integer.parseInt(line.substring("MAINPID=".length()));
                    }
                }
            }
        }

        /** What a process other than the main one sent: systemd would have dropped it. */
        List<String> dropped() {
            drain();
            return List.copyOf(dropped);
        }

        /** The next datagram after the last one taken that matches; the ones skipped are returned too. */
        String next(Predicate<String> wanted, String what) {
            String[] found = new String[1];
            await(what).atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
                drain();
                for (int i = consumed; i < received.size(); i++) {
                    if (wanted.test(received.get(i))) {
                        found[0] = received.get(i);
                        consumed = i + 1;
                        return true;
                    }
                }
                return false;
            });
            return found[0];
        }

        List<String> all() {
            drain();
            return List.copyOf(received);
        }

        @Override
        public void close() throws IOException {
            posix.closeQuietly(fd);
            if (dir != null) {
                Files.deleteIfExists(dir.resolve("notify"));
                Files.deleteIfExists(dir);
            }
        }
    }

    private static boolean has(String datagram, String line) {
        return Arrays.asList(datagram.split("\n")).contains(line);
    }

    private static long monotonicUsec(String datagram) {
        for (String line : datagram.split("\n")) {
            if (line.startsWith("MONOTONIC_USEC=")) {
                return Long.parseLong(line.substring("MONOTONIC_USEC=".length()));
            }
        }
        throw new AssertionError("no MONOTONIC_USEC in " + datagram);
    }

    private static long nowUsec() {
        return TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
    }

    private static List<String> environ(int pid) {
        String raw = ProcFs.read(pid, "environ");
        assertThat(raw).as("/proc/%d/environ", pid).isNotNull();
        return Arrays.asList(raw.split("\0"));
    }

    @Test
    void readyOnceServingReloadingThenReadyAroundAReloadStoppingOnQuit() throws Exception {
        try (NotifySocket systemd = new NotifySocket(false);
             RunningMaster master = RunningMaster.start("worker_processes = 2\nhttp { body = \"one\\n\" }",
                     Map.of("NOTIFY_SOCKET", systemd.address))) {
            systemd.mainPid(master.pid());
            String ready = systemd.next(d -> has(d, "READY=1"), "READY=1");
            assertThat(ready).contains("MAINPID=" + master.pid()).contains("STATUS=serving on 127.0.0.1:" + master.port())
                    .contains("2/2 workers ready");
            // READY comes only once every worker serves: the log says so before, and HTTP answers now.
            assertThat(master.errorLog()).contains("serving: 2 workers of generation 1 ready");
            assertThat(Http.get(master.port(), "/").text()).isEqualTo("one\n");
            assertThat(systemd.all().get(0)).startsWith("STATUS=starting 2 workers");

            // Only the master may speak for the service: workers do not inherit NOTIFY_SOCKET.
            assertThat(environ(master.pid())).contains("NOTIFY_SOCKET=" + systemd.address);
            List<Integer> workers = master.awaitWorkers(2);
            for (int worker : workers) {
                assertThat(environ(worker)).as("worker %d", worker).noneMatch(e -> e.startsWith("NOTIFY_SOCKET="));
            }

            Files.writeString(master.prefix().resolve("conf/masterwork.conf"), "listen = \"127.0.0.1:" + master.port()
                    + "\"\nworker_spares = 0\nworker_processes = 2\nworker_shutdown_timeout = 5s\nhttp { body = \"two\\n\" }\n");
            long before = nowUsec();
            master.signal("HUP");
            String reloading = systemd.next(d -> has(d, "RELOADING=1"), "RELOADING=1");
            long after = nowUsec();
            assertThat(monotonicUsec(reloading)).as("MONOTONIC_USEC is CLOCK_MONOTONIC at the reload's start")
                    .isBetween(before, after);
            String reloaded = systemd.next(d -> has(d, "READY=1"), "READY=1 after the reload");
            assertThat(reloaded).contains("generation 2");
            assertThat(master.errorLog()).contains("generation 2 serving with 2 workers");
            assertThat(Http.get(master.port(), "/").text()).isEqualTo("two\n");
            for (int worker : master.awaitWorkers(2)) {
                assertThat(environ(worker)).noneMatch(e -> e.startsWith("NOTIFY_SOCKET="));
            }

            // A reload that fails still answers with READY=1 (nothing changed) and says why.
            Files.writeString(master.prefix().resolve("conf/masterwork.conf"), "listen = \"127.0.0.1:" + master.port()
                    + "\"\nworker_procesess = 3\n");
            master.signal("HUP");
            String failed = systemd.next(d -> d.contains("reload failed"), "STATUS=reload failed");
            assertThat(failed).startsWith("READY=1\n").contains("worker_procesess");

            master.signal("QUIT");
            String stopping = systemd.next(d -> has(d, "STOPPING=1"), "STOPPING=1");
            assertThat(stopping).contains("STATUS=graceful shutdown");
            assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(systemd.next(d -> d.equals("STATUS=stopped"), "STATUS=stopped")).isNotNull();
            assertThat(systemd.all()).filteredOn(d -> has(d, "READY=1")).hasSize(3);
        }
    }

    @Test
    void anAbstractNotifySocketAndWatchdogPingsAtHalfItsInterval() throws Exception {
        try (NotifySocket systemd = new NotifySocket(true);
             RunningMaster master = RunningMaster.start("worker_processes = 1",
                     Map.of("NOTIFY_SOCKET", systemd.address, "WATCHDOG_USEC", "1000000"))) {
            systemd.mainPid(master.pid());
            assertThat(systemd.next(d -> has(d, "READY=1"), "READY=1")).contains("MAINPID=" + master.pid());
            systemd.next(d -> d.equals("WATCHDOG=1"), "a first WATCHDOG=1");
            systemd.next(d -> d.equals("WATCHDOG=1"), "a second WATCHDOG=1");
            master.signal("TERM");
            assertThat(systemd.next(d -> has(d, "STOPPING=1"), "STOPPING=1")).contains("fast shutdown");
            assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
        }
    }

    /** "socket:[123]" of each listening TCP socket on the port, from ss(8): who listens there, by inode. */
    private static List<Long> listenerInodes(int port) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ss", "-H", "-ltne", "sport = :" + port).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        List<Long> inodes = new ArrayList<>();
        for (String field : out.split("\\s+")) {
            if (field.startsWith("ino:")) {
                inodes.add(Long.parseLong(field.substring(4)));
            }
        }
        return inodes;
    }

    private static long inodeOf(int pid, int fd) {
        return UnixSockets.inode(ProcFs.fds(pid).get(fd));
    }

    @Test
    void socketsPassedAtFd3AreServedInsteadOfBoundAndSurviveAReload() throws Exception {
        int served = posix.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        int unnamed = posix.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        int port = posix.localAddress(served).getPort();
        long inode = inodeOf(posix.getpid(), served);
        long unnamedInode = inodeOf(posix.getpid(), unnamed);
        String listen = "listen = \"127.0.0.1:" + port + "\"\n";
        try (NotifySocket systemd = new NotifySocket(false);
             RunningMaster master = RunningMaster.startWithInheritedSockets(listen + "http { body = \"one\\n\" }",
                     Map.of("NOTIFY_SOCKET", systemd.address, "LISTEN_FDNAMES", "web:spare"), List.of(served, unnamed))) {
            assertThat(master.pid()).isEqualTo(master.pidFromFile());
            systemd.mainPid(master.pid());
            systemd.next(d -> has(d, "READY=1"), "READY=1");
            assertThat(Http.get(port, "/").text()).isEqualTo("one\n");

            String log = master.errorLog();
            assertThat(log).contains("systemd passed a listening socket for /127.0.0.1:" + port + " (fd 3 named \"web\")")
                    .contains("using the inherited listening socket for /127.0.0.1:" + port)
                    .contains("1 inherited listening socket(s) not named by \"listen\" were closed");
            // The master serves the test's own socket at fd 3 (the number systemd uses) and bound none of its own:
            // one listener on the port, the one this test made.
            assertThat(inodeOf(master.pid(), 3)).isEqualTo(inode);
            assertThat(ProcFs.fds(master.pid()).values()).doesNotContain("socket:[" + unnamedInode + "]");
            assertThat(listenerInodes(port)).containsOnly(inode);
            for (int worker : master.awaitWorkers(2)) {
                assertThat(inodeOf(worker, 6)).as("worker %d's listener", worker).isEqualTo(inode);
                assertThat(environ(worker)).noneMatch(e -> e.startsWith("LISTEN_") || e.startsWith("NOTIFY_SOCKET="));
            }

            Files.writeString(master.prefix().resolve("conf/masterwork.conf"),
                    listen + "worker_spares = 0\nworker_processes = 3\nhttp { body = \"two\\n\" }\n");
            master.signal("HUP");
            systemd.next(d -> has(d, "RELOADING=1"), "RELOADING=1");
            systemd.next(d -> has(d, "READY=1"), "READY=1 after the reload");
            await().atMost(WAIT).until(() -> master.errorLog().contains("reload complete"));
            assertThat(Http.get(port, "/").text()).isEqualTo("two\n");
            assertThat(inodeOf(master.pid(), 3)).isEqualTo(inode);
            assertThat(listenerInodes(port)).containsOnly(inode);
            for (int worker : master.awaitWorkers(3)) {
                assertThat(inodeOf(worker, 6)).as("new worker %d's listener", worker).isEqualTo(inode);
            }

            master.signal("QUIT");
            assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
            // As with systemd, the socket outlives the service: this test's copy still listens.
            assertThat(posix.isListeningSocket(served)).isTrue();
        } finally {
            posix.closeQuietly(served);
            posix.closeQuietly(unnamed);
        }
    }

    /** Connects as soon as something listens on the port, then waits (bounded) for the whole answer. */
    private static String firstRequest(int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() - deadline < 0) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                s.setSoTimeout(90_000);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                return Http.read(s.getInputStream()).text();
            } catch (java.net.ConnectException notYet) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            } catch (IOException e) {
                return e.toString();
            }
        }
        return "nothing listened on " + port;
    }

    /**
     * systemd's own launcher: systemd-socket-activate binds the address, waits for the first connection,
     * then execs the master with the socket at fd 3 and LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES set exactly as
     * systemd sets them. The connection that woke it up is answered by a worker.
     */
    @Test
    void systemdSocketActivateStartsAMasterThatServesItsSocket() throws Exception {
        Path tool = Path.of("/usr/bin/systemd-socket-activate");
        Assumptions.assumeTrue(Files.isExecutable(tool), "systemd-socket-activate (Debian package systemd) is not installed");
        int port = RunningMaster.freePort();
        try (NotifySocket systemd = new NotifySocket(false)) {
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> firstRequest(port));
            try (RunningMaster master = RunningMaster.start("worker_processes = 1", Map.of(), port,
                    List.of(tool.toString(), "-l", "127.0.0.1:" + port, "--fdname=http",
                            "-E", "NOTIFY_SOCKET=" + systemd.address))) {
                assertThat(first.get(120, TimeUnit.SECONDS)).isEqualTo("Hello from masterwork\n");
                systemd.mainPid(master.pid());
                assertThat(systemd.next(d -> has(d, "READY=1"), "READY=1")).contains("MAINPID=" + master.pid());
                assertThat(master.errorLog()).contains("(fd 3 named \"http\")")
                        .contains("using the inherited listening socket for /127.0.0.1:" + port);
                long inode = inodeOf(master.pid(), 3);
                assertThat(listenerInodes(port)).containsOnly(inode);
                assertThat(inodeOf(master.awaitWorkers(1).get(0), 6)).isEqualTo(inode);
                master.signal("QUIT");
                assertThat(systemd.next(d -> has(d, "STOPPING=1"), "STOPPING=1")).isNotNull();
                assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
            }
        }
    }

    /**
     * A binary upgrade under systemd: the new master inherits NOTIFY_SOCKET, the old one stays the service's
     * main process until its QUIT hands over with MAINPID=<new> (never STOPPING=1), and the new master then
     * speaks for the service (a reload's RELOADING=1/READY=1, then STOPPING=1 on its own QUIT).
     */
    @Test
    void aBinaryUpgradeHandsTheServiceOverWithMainpid() throws Exception {
        int newMaster = -1;
        try (NotifySocket systemd = new NotifySocket(false);
             RunningMaster master = RunningMaster.start("worker_processes = 1", Map.of("NOTIFY_SOCKET", systemd.address))) {
            systemd.mainPid(master.pid());
            assertThat(systemd.next(d -> has(d, "READY=1"), "READY=1")).contains("MAINPID=" + master.pid());
            master.signal("USR2");
            newMaster = await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
                int pid = master.pidFromFile();
                return pid > 0 && pid != master.pid() && ProcFs.exists(pid) && ProcFs.parentOf(pid) == master.pid() ? pid : -1;
            }, p -> p > 0);
            int upgraded = newMaster;
            assertThat(systemd.next(d -> d.startsWith("STATUS=binary upgrade: new master " + upgraded), "upgrade status"))
                    .isNotNull();
            assertThat(environ(newMaster)).contains("NOTIFY_SOCKET=" + systemd.address);
            // The new master serves; while the old one is the main process it says nothing (systemd would drop it).
            await().atMost(WAIT).until(() -> master.errorLog().contains(upgraded + "#main: serving"));
            assertThat(systemd.dropped()).as("datagrams of a process that is not the main one").isEmpty();

            master.signal("WINCH");
            master.signal("QUIT");
            String handover = systemd.next(d -> d.contains("MAINPID="), "MAINPID= of the new master");
            assertThat(handover).startsWith("MAINPID=" + newMaster + "\n");
            assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(ProcFs.exists(newMaster)).isTrue();
            // Now the main process, it reports the state systemd shows.
            assertThat(systemd.next(d -> d.startsWith("STATUS=serving on") && d.contains("main process since the old master "
                    + master.pid()), "the new master's STATUS once it is the main process")).isNotNull();

            RunningMaster.kill("HUP", newMaster);
            systemd.next(d -> has(d, "RELOADING=1"), "RELOADING=1 from the new master");
            assertThat(systemd.next(d -> has(d, "READY=1"), "READY=1 from the new master")).contains("generation");
            RunningMaster.kill("QUIT", newMaster);
            systemd.next(d -> has(d, "STOPPING=1"), "STOPPING=1 from the new master");
            await().atMost(WAIT).until(() -> !ProcFs.exists(upgraded));
            // Only the new master's own QUIT said STOPPING=1: the hand-over did not.
            assertThat(systemd.all()).filteredOn(d -> has(d, "STOPPING=1")).hasSize(1);
            assertThat(systemd.dropped()).as("nothing said out of turn").isEmpty();
        } finally {
            RunningMaster.killTree(newMaster);
        }
    }
}
