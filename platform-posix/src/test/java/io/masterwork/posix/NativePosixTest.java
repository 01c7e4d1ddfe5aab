package io.masterwork.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.inject.Guice;

import jnr.ffi.Pointer;

/** In-process tests of NativePosix against the real kernel. */
class NativePosixTest {
    private final Posix posix = NativePosix.get();

    @Test
    void closeOfABadDescriptorNamesCallAndErrno() {
        assertThatThrownBy(() -> posix.close(-1))
                .isInstanceOfSatisfying(PosixException.class, e -> {
                    assertThat(e.call()).isEqualTo("close");
                    assertThat(e.errnoName()).isEqualTo("EBADF");
                    assertThat(e.errno()).isEqualTo(9);
                    assertThat(e.getMessage()).startsWith("close: EBADF (9): Bad file descriptor");
                });
    }

    @Test
    void errnoNamesForCommonNumbers() {
        assertThat(Errno.name(11)).isEqualTo("EAGAIN");
        assertThat(Errno.name(32)).isEqualTo("EPIPE");
        assertThat(Errno.name(98)).isEqualTo("EADDRINUSE");
        assertThat(Errno.name(4000)).isEqualTo("errno 4000");
    }

    @Test
    void moduleBindsTheSingleton() {
        Posix injected = Guice.createInjector(new PosixModule()).getInstance(Posix.class);
        assertThat(injected).isSameAs(NativePosix.get());
    }

    @Test
    void descriptorFlagsSetAndReadBack() {
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        try {
            assertThat(posix.isCloseOnExec(pair[0])).isTrue();
            assertThat(posix.isNonBlocking(pair[0])).isFalse();
            posix.setNonBlocking(pair[0], true);
            assertThat(posix.isNonBlocking(pair[0])).isTrue();
            posix.setNonBlocking(pair[0], false);
            assertThat(posix.isNonBlocking(pair[0])).isFalse();
            posix.setCloseOnExec(pair[0], false);
            assertThat(posix.isCloseOnExec(pair[0])).isFalse();
            posix.setCloseOnExec(pair[0], true);
            assertThat(posix.isCloseOnExec(pair[0])).isTrue();

            // F_SETOWN to ourselves before FIOASYNC, as nginx does; SIGIO is blocked in no JVM
            // thread, so point the owner elsewhere again before any I/O could raise it.
            posix.setOwner(pair[0], posix.getpid());
            assertThat(posix.getOwner(pair[0])).isEqualTo(posix.getpid());
            posix.setOwner(pair[0], 0);
            assertThat(posix.getOwner(pair[0])).isZero();
            posix.setAsync(pair[0], true);
            assertThat(posix.isAsync(pair[0])).isTrue();
            posix.setAsync(pair[0], false);
            assertThat(posix.isAsync(pair[0])).isFalse();
        } finally {
            posix.close(pair[0]);
            posix.close(pair[1]);
        }
    }

    @Test
    void dupIsCloseOnExecAndAboveTwo() {
        int[] p = posix.pipe();
        int copy = posix.dup(p[1]);
        try {
            assertThat(copy).isGreaterThan(2).isNotIn(p[0], p[1]);
            assertThat(posix.isCloseOnExec(copy)).isTrue();
            posix.write(copy, ByteBuffer.wrap("x".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(4);
            assertThat(posix.read(p[0], in)).isEqualTo(1);
        } finally {
            posix.close(copy);
            posix.close(p[0]);
            posix.close(p[1]);
        }
    }

    @Test
    void dup2PointsADescriptorNumberAtAnotherFileAndClearsCloseOnExec() {
        int[] first = posix.pipe();
        int[] second = posix.pipe();
        try {
            posix.dup2(second[1], first[1]);
            assertThat(posix.isCloseOnExec(first[1])).isFalse();
            posix.write(first[1], ByteBuffer.wrap("y".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(4);
            assertThat(posix.read(second[0], in)).isEqualTo(1);
            assertThatThrownBy(() -> posix.dup2(-1, first[1]))
                    .isInstanceOf(PosixException.class).hasMessageContaining("dup2").hasMessageContaining("EBADF");
        } finally {
            for (int fd : new int[] {first[0], first[1], second[0], second[1]}) {
                posix.closeQuietly(fd);
            }
        }
    }

    @Test
    void pipeReadWriteWithHeapAndDirectBuffersAndEagain() {
        int[] p = posix.pipe();
        try {
            assertThat(posix.isCloseOnExec(p[0])).isTrue();
            ByteBuffer heap = ByteBuffer.wrap("xxhello".getBytes(StandardCharsets.US_ASCII));
            heap.position(2);
            assertThat(posix.write(p[1], heap)).isEqualTo(5);
            assertThat(heap.hasRemaining()).isFalse();
            ByteBuffer direct = ByteBuffer.allocateDirect(16);
            direct.position(3);
            assertThat(posix.read(p[0], direct)).isEqualTo(5);
            assertThat(direct.position()).isEqualTo(8);
            byte[] got = new byte[5];
            direct.flip().position(3);
            direct.get(got);
            assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("hello");

            posix.setNonBlocking(p[0], true);
            assertThat(posix.read(p[0], ByteBuffer.allocate(4))).isEqualTo(-1);
            posix.close(p[1]);
            p[1] = -1;
            assertThat(posix.read(p[0], ByteBuffer.allocate(4))).isZero();
        } finally {
            posix.closeQuietly(p[0]);
            posix.closeQuietly(p[1]);
        }
    }

    @Test
    void messageWithDescriptorCrossesASocketpair() throws InterruptedException {
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        int[] p = posix.pipe();
        try {
            ByteBuffer frame = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
            assertThat(posix.sendMessage(pair[0], frame, p[1])).isEqualTo(8);
            ByteBuffer dst = ByteBuffer.allocate(64);
            ReceivedMessage m = posix.receiveMessage(pair[1], dst);
            assertThat(m.length()).isEqualTo(8);
            assertThat(m.truncated()).isFalse();
            assertThat(m.fd()).isGreaterThanOrEqualTo(0).isNotIn(p[0], p[1]);
            assertThat(posix.isCloseOnExec(m.fd())).isTrue();
            assertThat(dst.position()).isEqualTo(8);
            assertThat(dst.array()[7]).isEqualTo((byte) 8);
            // The received descriptor is the pipe's write end.
            posix.write(m.fd(), ByteBuffer.wrap(new byte[] {42}));
            ByteBuffer one = ByteBuffer.allocateDirect(1);
            posix.read(p[0], one);
            assertThat(one.get(0)).isEqualTo((byte) 42);
            posix.close(m.fd());

            // Without a descriptor, and a non-blocking empty receive.
            posix.sendMessage(pair[1], ByteBuffer.wrap(new byte[] {9}), -1);
            ReceivedMessage plain = posix.receiveMessage(pair[0], ByteBuffer.allocateDirect(16));
            assertThat(plain.fd()).isEqualTo(-1);
            assertThat(plain.length()).isEqualTo(1);
            posix.setNonBlocking(pair[0], true);
            assertThat(posix.receiveMessage(pair[0], ByteBuffer.allocate(16))).isNull();

            // A message larger than the buffer is reported truncated and its descriptor closed.
            List<Integer> before = settledDescriptors();
            posix.sendMessage(pair[1], ByteBuffer.wrap(new byte[32]), p[0]);
            ReceivedMessage cut = posix.receiveMessage(pair[0], ByteBuffer.allocate(4));
            assertThat(cut.truncated()).isTrue();
            assertThat(cut.fd()).isEqualTo(-1);
            assertThat(settledDescriptors()).isEqualTo(before);

            // EOF once the peer is gone.
            posix.close(pair[1]);
            pair[1] = -1;
            assertThat(posix.receiveMessage(pair[0], ByteBuffer.allocate(16)).isEof()).isTrue();
        } finally {
            posix.closeQuietly(pair[0]);
            posix.closeQuietly(pair[1]);
            posix.close(p[0]);
            posix.close(p[1]);
        }
    }

    @Test
    void sendingToAClosedPeerIsEpipe() {
        int[] pair = posix.socketpair(SocketType.STREAM);
        posix.close(pair[1]);
        try {
            assertThatThrownBy(() -> posix.sendMessage(pair[0], ByteBuffer.wrap(new byte[4]), -1))
                    .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errnoName()).isEqualTo("EPIPE"));
        } finally {
            posix.close(pair[0]);
        }
    }

    @Test
    void peerCredentialsOfASocketpairAreOurs() {
        int[] pair = posix.socketpair(SocketType.STREAM);
        try {
            Credentials c = posix.peerCredentials(pair[0]);
            assertThat(c.pid()).isEqualTo(posix.getpid()).isEqualTo((int) ProcessHandle.current().pid());
            assertThat(c.uid()).isEqualTo(posix.getuid());
            assertThat(c.gid()).isEqualTo(posix.getgid());
        } finally {
            posix.close(pair[0]);
            posix.close(pair[1]);
        }
    }

    @Test
    void memfdHoldsTheContentsFromOffsetZero() throws Exception {
        int fd = posix.memfd("test", "contents".getBytes(StandardCharsets.US_ASCII));
        try {
            assertThat(posix.isCloseOnExec(fd)).isTrue();
            assertThat(Files.readString(Path.of("/proc/self/fd/" + fd))).isEqualTo("contents");
            ByteBuffer b = ByteBuffer.allocate(32);
            assertThat(posix.read(fd, b)).isEqualTo(8);
        } finally {
            posix.close(fd);
        }
    }

    @Test
    void openAddsCloseOnExecAndNamesThePathOnFailure(@TempDir Path dir) {
        Path file = dir.resolve("f");
        int fd = posix.open(file.toString(), OpenFlags.WRONLY | OpenFlags.CREAT | OpenFlags.EXCL, 0640);
        try {
            assertThat(posix.isCloseOnExec(fd)).isTrue();
        } finally {
            posix.close(fd);
        }
        assertThatThrownBy(() -> posix.open(file.toString(), OpenFlags.WRONLY | OpenFlags.CREAT | OpenFlags.EXCL, 0640))
                .isInstanceOfSatisfying(PosixException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("EEXIST");
                    assertThat(e.getMessage()).contains(file.toString());
                });
        assertThatThrownBy(() -> posix.open(dir.resolve("missing/x").toString(), OpenFlags.RDONLY, 0))
                .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errnoName()).isEqualTo("ENOENT"));
    }

    @Test
    void listenTcpOnIpv4AcceptsAJavaSocket() throws Exception {
        acceptsAJavaSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
    }

    @Test
    void listenTcpOnIpv6AcceptsAJavaSocket() throws Exception {
        acceptsAJavaSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0));
    }

    private void acceptsAJavaSocket(InetSocketAddress where) throws Exception {
        int fd = posix.listenTcp(where, 16);
        try {
            assertThat(posix.isCloseOnExec(fd)).isTrue();
            InetSocketAddress bound = posix.localAddress(fd);
            assertThat(bound.getAddress()).isEqualTo(where.getAddress());
            assertThat(bound.getPort()).isPositive();
            // A second listener on the same port collides.
            assertThatThrownBy(() -> posix.listenTcp(bound, 16))
                    .isInstanceOfSatisfying(PosixException.class, e -> {
                        assertThat(e.call()).isEqualTo("bind");
                        assertThat(e.errnoName()).isEqualTo("EADDRINUSE");
                    });
            try (Socket client = new Socket()) {
                client.connect(bound, 5000);
                client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                // The JDK cannot adopt a raw listening descriptor: accept with libc directly.
                int conn = accept(fd);
                assertThat(conn).isGreaterThanOrEqualTo(0);
                try {
                    ByteBuffer in = ByteBuffer.allocate(4);
                    while (in.hasRemaining()) {
                        assertThat(posix.read(conn, in)).isPositive();
                    }
                    assertThat(new String(in.array(), StandardCharsets.US_ASCII)).isEqualTo("ping");
                    assertThat(posix.write(conn, ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII)))).isEqualTo(4);
                    InputStream reply = client.getInputStream();
                    assertThat(new String(reply.readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("pong");
                } finally {
                    posix.close(conn);
                }
            }
        } finally {
            posix.close(fd);
        }
    }

    /** accept4 is not part of Posix (workers accept through Netty); the test binds it itself. */
    public interface AcceptLib {
        int accept4(int fd, Pointer address, Pointer length, int flags);

        int bind(int fd, Pointer address, int length);
    }

    private static int accept(int fd) {
        AcceptLib lib = jnr.ffi.LibraryLoader.create(AcceptLib.class).load("c");
        return lib.accept4(fd, null, null, SocketSupport.SOCK_CLOEXEC);
    }

    @Test
    void sendToReachesAnAbstractUnixDatagramSocket() {
        Native nat = new Native();
        AcceptLib lib = jnr.ffi.LibraryLoader.create(AcceptLib.class).load("c");
        int receiver = posix.unixDatagramSocket();
        int sender = posix.unixDatagramSocket();
        try {
            String name = "masterwork-test-" + posix.getpid() + "-" + System.nanoTime();
            byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
            Pointer sockaddr = nat.allocate(110);
            sockaddr.putShort(0, (short) 1);
            sockaddr.put(3, nameBytes, 0, nameBytes.length);
            assertThat(lib.bind(receiver, sockaddr, 3 + nameBytes.length)).isZero();

            posix.sendTo(sender, "@" + name, ByteBuffer.wrap("READY=1".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(64);
            ReceivedMessage m = posix.receiveMessage(receiver, in);
            assertThat(new String(in.array(), 0, m.length(), StandardCharsets.US_ASCII)).isEqualTo("READY=1");

            assertThatThrownBy(() -> posix.sendTo(sender, "@" + name + "-nobody", ByteBuffer.wrap(new byte[1])))
                    .isInstanceOfSatisfying(PosixException.class, e -> {
                        assertThat(e.call()).isEqualTo("sendto");
                        assertThat(e.errnoName()).isEqualTo("ECONNREFUSED");
                    });
        } finally {
            posix.close(receiver);
            posix.close(sender);
        }
    }

    @Test
    void pollReportsReadableAndHungUp() {
        int[] a = posix.pipe();
        int[] b = posix.pipe();
        try {
            assertThat(posix.pollReadable(new int[] {a[0], b[0]}, 0)).isEmpty();
            posix.write(b[1], ByteBuffer.wrap(new byte[] {1}));
            assertThat(posix.pollReadable(new int[] {a[0], b[0]}, 1000)).containsExactly(b[0]);
            posix.close(a[1]);
            a[1] = -1;
            assertThat(posix.pollReadable(new int[] {a[0], b[0]}, 1000)).containsExactlyInAnyOrder(a[0], b[0]);
        } finally {
            posix.close(a[0]);
            posix.closeQuietly(a[1]);
            posix.close(b[0]);
            posix.close(b[1]);
        }
    }

    @Test
    void identityMatchesTheJdkAndProc() throws Exception {
        assertThat(posix.getpid()).isEqualTo((int) ProcessHandle.current().pid());
        assertThat(posix.getppid()).isEqualTo((int) ProcessHandle.current().parent().orElseThrow().pid());
        int tid = posix.gettid();
        assertThat(Files.exists(Path.of("/proc/self/task/" + tid))).isTrue();
        String status = Files.readString(Path.of("/proc/self/status"));
        assertThat(status).containsPattern("(?m)^Uid:\\s+" + posix.getuid() + "\\s+" + posix.geteuid());
        assertThat(status).containsPattern("(?m)^Gid:\\s+" + posix.getgid());
        assertThat(posix.executablePath()).endsWith("/java");
        assertThat(posix.openDescriptors()).contains(0, 1, 2);
    }

    @Test
    void priorityOfTheCallingThreadReadsBackFromProc() throws Exception {
        int[] seen = new int[3];
        Thread t = new Thread(() -> {
            int tid = posix.gettid();
            int before = posix.getPriority(0);
            posix.setPriority(0, Math.min(before + 3, 19));
            seen[0] = before;
            seen[1] = posix.getPriority(tid);
            seen[2] = niceOf(tid);
        });
        t.start();
        t.join(10_000);
        assertThat(seen[1]).isEqualTo(Math.min(seen[0] + 3, 19));
        assertThat(seen[2]).isEqualTo(seen[1]);
    }

    @Test
    void negativeNiceIsNotMistakenForAnError() throws Exception {
        // Root may lower nice; -1 is exactly the value glibc's getpriority cannot tell from failure.
        if (posix.geteuid() != 0) {
            return;
        }
        int[] seen = new int[1];
        Thread t = new Thread(() -> {
            posix.setPriority(0, -1);
            seen[0] = posix.getPriority(0);
        });
        t.start();
        t.join(10_000);
        assertThat(seen[0]).isEqualTo(-1);
    }

    @Test
    void aThreadStartedByAnIdleThreadIsIdleAndRootRaisesIt() throws Exception {
        // What the spares rely on: a new thread starts with its creator's policy and nice value (the kernel's
        // sched_fork copies them), so a JVM spawned from an idle thread is idle on every thread, and a thread that a
        // raised thread creates is raised.
        Object[] seen = new Object[6];
        Thread t = new Thread(() -> {
            posix.setPriority(0, 7);
            posix.setScheduler(0, SchedulingPolicy.IDLE);
            seen[0] = posix.getScheduler(0);
            seen[1] = policyOf(posix.gettid());
            Thread child = new Thread(() -> {
                seen[2] = posix.getScheduler(0);
                seen[3] = posix.getPriority(0);
            });
            child.start();
            try {
                child.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (posix.geteuid() == 0) {
                posix.setScheduler(posix.gettid(), SchedulingPolicy.OTHER);
                seen[4] = posix.getScheduler(0);
                seen[5] = posix.getPriority(0); // sched_setscheduler kept the nice value
            }
        });
        t.start();
        t.join(10_000);
        assertThat(seen[0]).isEqualTo(SchedulingPolicy.IDLE);
        assertThat(seen[1]).isEqualTo(SchedulingPolicy.IDLE.value);
        assertThat(seen[2]).isEqualTo(SchedulingPolicy.IDLE);
        assertThat(seen[3]).isEqualTo(7);
        if (posix.geteuid() == 0) {
            assertThat(seen[4]).isEqualTo(SchedulingPolicy.OTHER);
            assertThat(seen[5]).isEqualTo(7);
        }
        assertThat(posix.threads(0)).contains(posix.gettid());
    }

    /** Field 41 of /proc/self/task/tid/stat: the scheduling policy. */
    static int policyOf(int tid) {
        try {
            String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[38]);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static int niceOf(int tid) {
        try {
            String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[16]); // field 19 of stat, counted after "pid (comm)"
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void rlimitReadsBackFromProc() throws Exception {
        Rlimit original = posix.getrlimit(Resource.NOFILE);
        try {
            long soft = Math.min(original.soft(), 4000) - 7;
            posix.setrlimit(Resource.NOFILE, new Rlimit(soft, original.hard()));
            assertThat(posix.getrlimit(Resource.NOFILE)).isEqualTo(new Rlimit(soft, original.hard()));
            assertThat(Files.readString(Path.of("/proc/self/limits")))
                    .containsPattern("(?m)^Max open files\\s+" + soft + "\\s+" + original.hard());
        } finally {
            posix.setrlimit(Resource.NOFILE, original);
        }
        assertThatThrownBy(() -> posix.setrlimit(Resource.CORE, new Rlimit(10, 5)))
                .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errnoName()).isEqualTo("EINVAL"));
    }

    @Test
    void affinityOfTheCallingThreadReadsBackFromProc() throws Exception {
        BitSet all = posix.getAffinity(0);
        assertThat(posix.availableCpus()).isEqualTo(all.cardinality()).isPositive();
        int cpu = all.previousSetBit(all.length());
        String[] seen = new String[1];
        BitSet[] read = new BitSet[1];
        Thread t = new Thread(() -> {
            BitSet one = new BitSet();
            one.set(cpu);
            posix.setAffinity(0, one);
            read[0] = posix.getAffinity(0);
            seen[0] = procField("/proc/self/task/" + posix.gettid() + "/status", "Cpus_allowed_list");
        });
        t.start();
        t.join(10_000);
        BitSet expected = new BitSet();
        expected.set(cpu);
        assertThat(read[0]).isEqualTo(expected);
        assertThat(seen[0]).isEqualTo(Integer.toString(cpu));
        // The test thread itself was not touched: affinity is per thread.
        assertThat(posix.getAffinity(0)).isEqualTo(all);
    }

    static String procField(String file, String name) {
        try {
            for (String line : Files.readAllLines(Path.of(file))) {
                if (line.startsWith(name + ":")) {
                    return line.substring(name.length() + 1).trim();
                }
            }
            throw new IllegalStateException(name + " not in " + file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void signalMaskIsPerThreadAndReadsBackFromProc() throws Exception {
        // The mask is per thread: block in a fresh thread and read that thread's SigBlk from /proc.
        // (Delivery through a signalfd is proven with real signals in SignalRouteIT.)
        Set<Signal> set = EnumSet.of(Signal.USR1, Signal.WINCH);
        List<Set<Signal>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        String[] procMask = new String[1];
        Thread t = new Thread(() -> {
            posix.blockSignals(set);
            seen.add(posix.blockedSignals());
            procMask[0] = procField("/proc/self/task/" + posix.gettid() + "/status", "SigBlk");
            posix.unblockSignals(set);
            seen.add(posix.blockedSignals());
        });
        t.start();
        t.join(10_000);
        assertThat(seen.get(0)).containsAll(set);
        assertThat(Long.parseLong(procMask[0], 16) & ((1L << 9) | (1L << 27))).isEqualTo((1L << 9) | (1L << 27));
        assertThat(seen.get(1)).doesNotContainAnyElementsOf(set);
    }

    @Test
    void signalfdIsNonBlockingAndEmpty() {
        int fd = posix.signalFd(EnumSet.of(Signal.WINCH));
        try {
            assertThat(posix.isNonBlocking(fd)).isTrue();
            assertThat(posix.isCloseOnExec(fd)).isTrue();
            assertThat(posix.readSignal(fd)).isNull();
        } finally {
            posix.close(fd);
        }
    }

    @Test
    void umaskSwapsAndIsattyIsFalseForAPipe() {
        int old = posix.umask(027);
        try {
            assertThat(posix.umask(old)).isEqualTo(027);
        } finally {
            posix.umask(old);
        }
        int[] p = posix.pipe();
        try {
            assertThat(posix.isatty(p[0])).isFalse();
        } finally {
            posix.close(p[0]);
            posix.close(p[1]);
        }
    }

    @Test
    void chownAndGroupsAndLookups(@TempDir Path dir) throws Exception {
        Path f = Files.createFile(dir.resolve("owned"));
        posix.chown(f.toString(), posix.getuid(), posix.getgid());
        assertThat(Files.getAttribute(f, "unix:uid")).isEqualTo(posix.getuid());
        assertThatThrownBy(() -> posix.chown(dir.resolve("none").toString(), 0, 0))
                .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errnoName()).isEqualTo("ENOENT"));

        UserInfo root = posix.lookupUser("root");
        assertThat(root.uid()).isZero();
        assertThat(root.gid()).isZero();
        assertThat(root.home()).isEqualTo("/root");
        assertThat(root.groups()).startsWith(0);
        assertThat(posix.lookupUser("no-such-user-masterwork")).isNull();
        assertThat(posix.lookupGroup("root").gid()).isZero();
        assertThat(posix.lookupGroup("no-such-group-masterwork")).isNull();
        String groupsLine = procField("/proc/self/status", "Groups");
        int[] groups = posix.getgroups();
        assertThat(groups.length).isEqualTo(groupsLine.isEmpty() ? 0 : groupsLine.split("\\s+").length);
    }

    @Test
    void killOfANonexistentPidIsEsrchAndWaitpidRefusesGroups() {
        assertThatThrownBy(() -> posix.waitpid(-1, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> posix.waitpid(1, true))
                .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errnoName()).isEqualTo("ECHILD"));
        assertThat(posix.isAlive(posix.getpid())).isTrue();
        assertThat(posix.isAlive(1)).isTrue();
    }

    @Test
    void waitStatusDecoding() {
        assertThat(new WaitStatus(1, 7 << 8).exited()).isTrue();
        assertThat(new WaitStatus(1, 7 << 8).exitCode()).isEqualTo(7);
        assertThat(new WaitStatus(1, 9).termSignal()).isEqualTo(9);
        assertThat(new WaitStatus(1, 0x80 | 11).coreDumped()).isTrue();
    }

    @Test
    void signalRouteCommandLineInsertsFlagsAfterArgvZero() {
        List<String> cmdline = List.of("/usr/bin/java", "-cp", "x.jar", "Main", "arg");
        assertThat(SignalRoute.commandLine(cmdline, List.of("-Dmw=1")))
                .containsExactly("/usr/bin/java", "-Xrs", "-XX:+StartAttachListener", "-Dmw=1", "-cp", "x.jar", "Main", "arg");
        List<String> routed = List.of("/usr/bin/java", "-Xrs", "-XX:+StartAttachListener", "-cp", "x.jar", "Main");
        assertThat(SignalRoute.commandLine(routed, List.of()))
                .containsExactly("/usr/bin/java", "-Xrs", "-XX:+StartAttachListener", "-cp", "x.jar", "Main");
        assertThat(SignalRoute.environment(java.util.Map.of("A", "1", "MASTERWORK_SIGNALS_ROUTED", "0")))
                .containsExactly("A=1", "MASTERWORK_SIGNALS_ROUTED=1", "_JAVA_SR_SIGNUM=40");
    }

    @Test
    void execveOfAMissingProgramThrowsAndKeepsThisImage() {
        assertThatThrownBy(() -> posix.execve("/nonexistent/masterwork", List.of("x"), List.of("A=1")))
                .isInstanceOfSatisfying(PosixException.class, e -> {
                    assertThat(e.call()).isEqualTo("execve");
                    assertThat(e.errnoName()).isEqualTo("ENOENT");
                });
        assertThatThrownBy(() -> posix.execve("/bin/true", List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void signalRouteRefusesWhatCannotWork() {
        assertThatThrownBy(() -> SignalRoute.reexecWithBlockedSignals(EnumSet.of(Signal.KILL), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SignalRoute.reexecWithBlockedSignals(EnumSet.noneOf(Signal.class), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(SignalRoute.isRouted()).isFalse();
    }

    /**
     * This process's descriptors, read until two readings 20 ms apart agree: another thread of the JVM may hold one
     * for a moment (a jar opened to load a class).
     */
    private List<Integer> settledDescriptors() throws InterruptedException {
        List<Integer> previous = posix.openDescriptors();
        for (int i = 0; i < 250; i++) {
            Thread.sleep(20);
            List<Integer> now = posix.openDescriptors();
            if (now.equals(previous)) {
                return now;
            }
            previous = now;
        }
        throw new AssertionError("this process's descriptors did not settle within 5 s: " + previous);
    }
}
