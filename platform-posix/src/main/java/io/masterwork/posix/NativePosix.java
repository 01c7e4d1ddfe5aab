package io.masterwork.posix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Set;

/**
 * {@link Posix} on a small jnr-ffi binding of libc ({@link LibC}). The work is split by concern
 * into the *Support classes; this class only routes. jnr-posix is reached only by
 * {@link #lookupUser} and {@link #lookupGroup}.
 */
public final class NativePosix implements Posix {

    private static final class Holder {
        static final NativePosix INSTANCE = new NativePosix();
    }

    /** The process-wide instance, created (and libc bound) on first use. */
    public static Posix get() {
        return Holder.INSTANCE;
    }

    /**
     * Binds libc on a daemon thread of its own (~100 ms of jnr-ffi and jffi set-up), so that the caller's own
     * start-up work overlaps it and a later {@link #get()} finds it done or waits less.
     */
    public static void preload() {
        Thread preload = new Thread(NativePosix::get, "libc-preload");
        preload.setDaemon(true);
        preload.start();
    }

    private final Native nat;
    private final DescriptorSupport descriptors;
    private final MessageSupport messages;
    private final SocketSupport sockets;
    private final SignalSupport signals;
    private final ProcessSupport processes;
    private final SpawnSupport spawner;

    private NativePosix() {
        this.nat = new Native();
        this.descriptors = new DescriptorSupport(nat);
        this.messages = new MessageSupport(nat);
        this.sockets = new SocketSupport(nat);
        this.signals = new SignalSupport(nat);
        this.processes = new ProcessSupport(nat);
        this.spawner = new SpawnSupport(nat, signals);
    }

    /** For {@link SignalRoute}: whether a signal is ignored (SIG_IGN) in this process. */
    boolean isIgnored(Signal signal) {
        return signals.isIgnored(signal);
    }

    // ---- descriptors

    @Override
    public int[] socketpair(SocketType type) {
        return sockets.socketpair(type);
    }

    @Override
    public int[] pipe() {
        return descriptors.pipe();
    }

    @Override
    public void close(int fd) {
        descriptors.close(fd);
    }

    @Override
    public void closeQuietly(int fd) {
        descriptors.closeQuietly(fd);
    }

    @Override
    public int dup(int fd) {
        return descriptors.dup(fd);
    }

    @Override
    public void dup2(int from, int to) {
        descriptors.dup2(from, to);
    }

    @Override
    public void setNonBlocking(int fd, boolean on) {
        descriptors.setNonBlocking(fd, on);
    }

    @Override
    public boolean isNonBlocking(int fd) {
        return descriptors.isNonBlocking(fd);
    }

    @Override
    public void setCloseOnExec(int fd, boolean on) {
        descriptors.setCloseOnExec(fd, on);
    }

    @Override
    public boolean isCloseOnExec(int fd) {
        return descriptors.isCloseOnExec(fd);
    }

    @Override
    public void setAsync(int fd, boolean on) {
        descriptors.setAsync(fd, on);
    }

    @Override
    public boolean isAsync(int fd) {
        return descriptors.isAsync(fd);
    }

    @Override
    public void setOwner(int fd, int pid) {
        descriptors.setOwner(fd, pid);
    }

    @Override
    public int getOwner(int fd) {
        return descriptors.getOwner(fd);
    }

    @Override
    public int write(int fd, ByteBuffer src) {
        return descriptors.write(fd, src);
    }

    @Override
    public int read(int fd, ByteBuffer dst) {
        return descriptors.read(fd, dst);
    }

    @Override
    public void seek(int fd, long offset) {
        descriptors.seek(fd, offset);
    }

    @Override
    public int open(String path, int flags, int mode) {
        return descriptors.open(path, flags, mode);
    }

    @Override
    public int memfd(String name, byte[] contents) {
        return descriptors.memfd(name, contents);
    }

    @Override
    public List<Integer> openDescriptors() {
        return descriptors.openDescriptors();
    }

    // ---- messages

    @Override
    public int sendMessage(int fd, ByteBuffer data, int passFd) {
        return messages.send(fd, data, passFd);
    }

    @Override
    public ReceivedMessage receiveMessage(int fd, ByteBuffer dst) {
        return messages.receive(fd, dst);
    }

    @Override
    public int unixDatagramSocket() {
        return sockets.unixDatagramSocket();
    }

    @Override
    public void sendTo(int fd, String path, ByteBuffer data) {
        sockets.sendTo(fd, path, data);
    }

    @Override
    public void bindUnix(int fd, String path) {
        sockets.bindUnix(fd, path);
    }

    @Override
    public Credentials peerCredentials(int fd) {
        return sockets.peerCredentials(fd);
    }

    @Override
    public int listenUnix(String path, int backlog) {
        return sockets.listenUnix(path, backlog);
    }

    @Override
    public int listenUnix(String path, int backlog, int mode) {
        return sockets.listenUnix(path, backlog, mode);
    }

    @Override
    public void passCredentials(int fd) {
        sockets.passCredentials(fd);
    }

    @Override
    public SenderCredentials receiveWithCredentials(int fd, ByteBuffer dst) {
        return messages.receiveWithCredentials(fd, dst);
    }

    @Override
    public FileStatus fstat(int fd) {
        return descriptors.fstat(fd);
    }

    @Override
    public void fchown(int fd, int uid, int gid) {
        descriptors.fchown(fd, uid, gid);
    }

    @Override
    public void fchmod(int fd, int mode) {
        descriptors.fchmod(fd, mode);
    }

    @Override
    public int[] groupList(String user, int group) {
        return processes.groupList(user, group);
    }

    @Override
    public void setNoNewPrivileges() {
        processes.setNoNewPrivileges();
    }

    @Override
    public boolean noNewPrivileges() {
        return processes.noNewPrivileges();
    }

    @Override
    public long[] capabilities() {
        return processes.capabilities();
    }

    @Override
    public int pidfdOpen(int pid) {
        return processes.pidfdOpen(pid);
    }

    @Override
    public void pidfdSendSignal(int pidfd, Signal signal) {
        processes.pidfdSendSignal(pidfd, signal);
    }

    @Override
    public int accept(int fd) {
        return sockets.accept(fd);
    }

    @Override
    public int listenTcp(InetSocketAddress address, int backlog) {
        return sockets.listenTcp(address, backlog);
    }

    @Override
    public InetSocketAddress localAddress(int fd) {
        return sockets.localAddress(fd);
    }

    @Override
    public boolean isListeningSocket(int fd) {
        return sockets.isListeningSocket(fd);
    }

    // ---- processes

    @Override
    public int spawn(SpawnRequest request) {
        return spawner.spawn(request);
    }

    @Override
    public void kill(int pid, Signal signal) {
        processes.kill(pid, signal);
    }

    @Override
    public boolean isAlive(int pid) {
        return processes.isAlive(pid);
    }

    @Override
    public WaitStatus waitpid(int pid, boolean noHang) {
        return processes.waitpid(pid, noHang);
    }

    @Override
    public int getpid() {
        return nat.libc.getpid();
    }

    @Override
    public int getppid() {
        return nat.libc.getppid();
    }

    @Override
    public int gettid() {
        return processes.gettid();
    }

    @Override
    public int getuid() {
        return nat.libc.getuid();
    }

    @Override
    public int geteuid() {
        return nat.libc.geteuid();
    }

    @Override
    public int getgid() {
        return nat.libc.getgid();
    }

    @Override
    public void setPriority(int tid, int nice) {
        processes.setPriority(tid, nice);
    }

    @Override
    public int getPriority(int tid) {
        return processes.getPriority(tid);
    }

    @Override
    public void setScheduler(int tid, SchedulingPolicy policy) {
        processes.setScheduler(tid, policy);
    }

    @Override
    public SchedulingPolicy getScheduler(int tid) {
        return processes.getScheduler(tid);
    }

    @Override
    public List<Integer> threads(int pid) {
        return processes.threads(pid);
    }

    @Override
    public Rlimit getrlimit(Resource resource) {
        return processes.getrlimit(resource);
    }

    @Override
    public void setrlimit(Resource resource, Rlimit limit) {
        processes.setrlimit(resource, limit);
    }

    @Override
    public void setAffinity(int tid, BitSet cpus) {
        processes.setAffinity(tid, cpus);
    }

    @Override
    public BitSet getAffinity(int tid) {
        return processes.getAffinity(tid);
    }

    @Override
    public int setAffinityOfAllThreads(int pid, BitSet cpus) {
        return processes.forAllThreads(pid, tid -> processes.setAffinity(tid, cpus));
    }

    @Override
    public int setPriorityOfAllThreads(int pid, int nice) {
        return processes.forAllThreads(pid, tid -> processes.setPriority(tid, nice));
    }

    @Override
    public int availableCpus() {
        return processes.getAffinity(0).cardinality();
    }

    @Override
    public void setuid(int uid) {
        processes.setuid(uid);
    }

    @Override
    public void setgid(int gid) {
        processes.setgid(gid);
    }

    @Override
    public void setgroups(int[] gids) {
        processes.setgroups(gids);
    }

    @Override
    public int[] getgroups() {
        return processes.getgroups();
    }

    @Override
    public void chown(String path, int uid, int gid) {
        processes.chown(path, uid, gid);
    }

    @Override
    public void chmod(String path, int mode) {
        sockets.chmod(path, mode);
    }

    @Override
    public int umask(int mask) {
        return nat.libc.umask(mask);
    }

    @Override
    public boolean isatty(int fd) {
        return nat.libc.isatty(fd) == 1;
    }

    @Override
    public void execve(String path, List<String> argv, List<String> environment) {
        processes.execve(path, argv, environment);
    }

    @Override
    public int setsid() {
        return processes.setsid();
    }

    @Override
    public UserInfo lookupUser(String name) {
        return UserDatabase.lookupUser(name, processes);
    }

    @Override
    public GroupInfo lookupGroup(String name) {
        return UserDatabase.lookupGroup(name);
    }

    @Override
    public String executablePath() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/exe")).toString();
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/self/exe", e);
        }
    }

    // ---- signals

    @Override
    public void blockSignals(Set<Signal> set) {
        signals.block(set);
    }

    @Override
    public void unblockSignals(Set<Signal> set) {
        signals.unblock(set);
    }

    @Override
    public Set<Signal> blockedSignals() {
        return signals.blocked();
    }

    @Override
    public void resetSignalDispositions(Set<Signal> set) {
        signals.resetDispositions(set);
    }

    @Override
    public int signalFd(Set<Signal> set) {
        return signals.signalFd(set);
    }

    @Override
    public SignalInfo readSignal(int signalFd) {
        return signals.read(signalFd);
    }

    // ---- readiness

    @Override
    public List<Integer> pollReadable(int[] fds, int timeoutMillis) {
        return descriptors.pollReadable(fds, timeoutMillis);
    }

    @Override
    public boolean peerClosed(int fd) {
        return descriptors.peerClosed(fd);
    }
}
