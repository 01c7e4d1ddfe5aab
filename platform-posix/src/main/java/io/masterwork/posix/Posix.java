package io.masterwork.posix;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;
import java.util.Set;

/**
 * Every native call masterwork makes, with Java types (the model is jnr-posix's {@code POSIX}).
 *
 * <p>Callers never see a pointer. Every failure is a {@link PosixException} naming the call and the
 * errno. Descriptors returned by this interface are close-on-exec unless a method says otherwise:
 * a descriptor reaches a spawned child only through {@link SpawnRequest#mapFd}.
 *
 * <p>Implementations must load lazily: a worker JVM pays for every class it touches before READY,
 * so nothing here may drag in jnr-posix's full libc binding unless a method that needs it is called
 * (only {@link #lookupUser} and {@link #lookupGroup} may).
 */
public interface Posix {

    // ---- descriptors -------------------------------------------------------------------------

    /** socketpair(AF_UNIX, type | SOCK_CLOEXEC): both ends close-on-exec, blocking. */
    int[] socketpair(SocketType type);

    /** pipe2(O_CLOEXEC): [read end, write end]. */
    int[] pipe();

    void close(int fd);

    /** Closes, ignoring every error; for clean-up paths that already carry an exception. */
    void closeQuietly(int fd);

    /** dup (F_DUPFD_CLOEXEC, lowest free descriptor &gt;= 3). */
    int dup(int fd);

    /**
     * dup2(2): {@code to} now refers to what {@code from} does (not close-on-exec). How a worker points its
     * stdout and stderr at a reopened error log.
     */
    void dup2(int from, int to);

    void setNonBlocking(int fd, boolean on);

    boolean isNonBlocking(int fd);

    void setCloseOnExec(int fd, boolean on);

    boolean isCloseOnExec(int fd);

    /** ioctl(FIOASYNC): SIGIO to the owner on I/O readiness (see {@link #setOwner}). */
    void setAsync(int fd, boolean on);

    boolean isAsync(int fd);

    /** fcntl(F_SETOWN). */
    void setOwner(int fd, int pid);

    int getOwner(int fd);

    /** write(2) from the buffer's position; advances it. Returns bytes written, or -1 on EAGAIN. */
    int write(int fd, ByteBuffer src);

    /** read(2) into the buffer's position; advances it. Returns bytes read, 0 at EOF, -1 on EAGAIN. */
    int read(int fd, ByteBuffer dst);

    /** lseek(fd, offset, SEEK_SET). */
    void seek(int fd, long offset);

    /** open(2) with O_CLOEXEC added; flags are {@link OpenFlags} bits. */
    int open(String path, int flags, int mode);

    /** fstat(2): type, owner, mode and link count of what the descriptor refers to. */
    FileStatus fstat(int fd);

    /** fchown(2): the owner of the open file itself, whatever its path now names. */
    void fchown(int fd, int uid, int gid);

    /** fchmod(2). */
    void fchmod(int fd, int mode);

    /** memfd_create(name, MFD_CLOEXEC) filled with the bytes and rewound to offset 0. */
    int memfd(String name, byte[] contents);

    /** Every descriptor open in this process, from /proc/self/fd. */
    List<Integer> openDescriptors();

    // ---- messages on AF_UNIX sockets ---------------------------------------------------------

    /**
     * sendmsg(2) of the buffer's remaining bytes as one message, with {@code passFd} attached as
     * SCM_RIGHTS when it is &gt;= 0 (the caller keeps its own copy and still owns it).
     * Returns the bytes sent, or -1 on EAGAIN. EPIPE and ECONNRESET are exceptions.
     */
    int sendMessage(int fd, ByteBuffer data, int passFd);

    /**
     * recvmsg(2) with MSG_CMSG_CLOEXEC into the buffer's position (advancing it). Returns null on
     * EAGAIN. A received descriptor is owned by the caller from here on (close it if unwanted);
     * more than one received descriptor, or a truncated message or control area, closes every
     * received descriptor and is reported in {@link ReceivedMessage#truncated()}.
     */
    ReceivedMessage receiveMessage(int fd, ByteBuffer dst);

    /** socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC). */
    int unixDatagramSocket();

    /** sendto(2) a datagram to a Unix socket path; a leading '@' means the abstract namespace. */
    void sendTo(int fd, String path, ByteBuffer data);

    /**
     * bind(2) a Unix socket to a path; a leading '@' means the abstract namespace. How a test stands in for
     * systemd's notify socket (a JDK cannot receive Unix datagrams).
     */
    void bindUnix(int fd, String path);

    /** setsockopt(SO_PASSCRED): datagrams then come with their sender's credentials ({@link #receiveWithCredentials}). */
    void passCredentials(int fd);

    /**
     * recvmsg(2) of one datagram into the buffer's position (advancing it), with the sender's SCM_CREDENTIALS;
     * null on EAGAIN. The socket needs {@link #passCredentials}.
     */
    SenderCredentials receiveWithCredentials(int fd, ByteBuffer dst);

    /** getsockopt(SO_PEERCRED) of a connected Unix socket. */
    Credentials peerCredentials(int fd);

    /**
     * socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC) + bind to the path + listen; blocking. Nothing is
     * unlinked first: an existing file at the path is EADDRINUSE (the caller decides whether it is stale).
     * The socket file gets 0777 minus the umask; {@link #chmod} it.
     */
    int listenUnix(String path, int backlog);

    /**
     * As {@link #listenUnix(String, int)}, the socket file created with {@code mode} (less the umask) by bind(2)
     * itself: there is no moment at which the file exists with another mode.
     */
    int listenUnix(String path, int backlog, int mode);

    /**
     * accept4(SOCK_CLOEXEC | SOCK_NONBLOCK): the connected socket, close-on-exec and non-blocking; -1
     * when no connection is pending (EAGAIN on a non-blocking listener). EINTR and ECONNABORTED retry.
     */
    int accept(int fd);

    // ---- TCP listeners -----------------------------------------------------------------------

    /**
     * socket + SO_REUSEADDR + bind + listen, close-on-exec, blocking. IPv6 addresses get IPV6_V6ONLY
     * so that "[::]:80" and "0.0.0.0:80" can both be listened on.
     */
    int listenTcp(InetSocketAddress address, int backlog);

    /** getsockname(2) of a TCP socket. */
    InetSocketAddress localAddress(int fd);

    /**
     * getsockopt(SO_ACCEPTCONN): whether {@code fd} is a socket in the listening state (a TCP listener, not a
     * UDP socket or a connection). False for a descriptor that is not a socket at all.
     */
    boolean isListeningSocket(int fd);

    // ---- processes ---------------------------------------------------------------------------

    /**
     * posix_spawn with the request's descriptor map, environment, working directory, signal mask
     * (empty by default) and default dispositions; no other descriptor reaches the child.
     * Returns the child's pid.
     */
    int spawn(SpawnRequest request);

    void kill(int pid, Signal signal);

    /** kill(pid, 0): whether a process with that pid exists (EPERM counts as existing). */
    boolean isAlive(int pid);

    /**
     * waitpid for one pid (never -1: that steals the JDK's own children). With {@code noHang},
     * null when it has not ended yet. ECHILD is an exception.
     */
    WaitStatus waitpid(int pid, boolean noHang);

    int getpid();

    int getppid();

    /** gettid(2) of the calling thread. */
    int gettid();

    int getuid();

    int geteuid();

    int getgid();

    /** setpriority(PRIO_PROCESS, tid, nice): 0 means the calling thread (Linux priority is per thread). */
    void setPriority(int tid, int nice);

    int getPriority(int tid);

    /**
     * sched_setscheduler(tid, policy, {0}): 0 means the calling thread (Linux policy is per thread, and a thread a
     * thread creates starts with its creator's policy and nice value). The nice value is kept.
     */
    void setScheduler(int tid, SchedulingPolicy policy);

    /** sched_getscheduler(tid): 0 means the calling thread. */
    SchedulingPolicy getScheduler(int tid);

    /** The thread ids of process {@code pid} (0: this process) as /proc/&lt;pid&gt;/task lists them now; ESRCH when it is gone. */
    List<Integer> threads(int pid);

    Rlimit getrlimit(Resource resource);

    void setrlimit(Resource resource, Rlimit limit);

    /** sched_setaffinity(tid, mask): 0 means the calling thread. */
    void setAffinity(int tid, BitSet cpus);

    BitSet getAffinity(int tid);

    /**
     * sched_setaffinity for every thread of process {@code pid} (0: this process), listed from
     * /proc/&lt;pid&gt;/task; threads that end meanwhile are skipped. Threads created afterwards inherit
     * the mask of their creator. Returns how many threads were set.
     */
    int setAffinityOfAllThreads(int pid, BitSet cpus);

    /** setpriority for every thread of process {@code pid} (0: this process), as {@link #setAffinityOfAllThreads}. */
    int setPriorityOfAllThreads(int pid, int nice);

    /** Number of CPUs this process may run on (sched_getaffinity of the calling thread). */
    int availableCpus();

    void setuid(int uid);

    void setgid(int gid);

    void setgroups(int[] gids);

    /** The supplementary groups of the calling process. */
    int[] getgroups();

    void chown(String path, int uid, int gid);

    /** getgrouplist(3): {@code group} first, then every group that lists {@code user} as a member. */
    int[] groupList(String user, int group);

    /** prctl(PR_SET_NO_NEW_PRIVS, 1): no execve of this process or its children may gain privileges. */
    void setNoNewPrivileges();

    /** prctl(PR_GET_NO_NEW_PRIVS). */
    boolean noNewPrivileges();

    /** capget(2) of this process: {effective, permitted, inheritable} as 64-bit masks (bit n = capability n). */
    long[] capabilities();

    /** pidfd_open(2): a descriptor for process {@code pid} that a recycled pid can never redirect. */
    int pidfdOpen(int pid);

    /** pidfd_send_signal(2). */
    void pidfdSendSignal(int pidfd, Signal signal);

    /** chmod(2): the permission bits of a file, e.g. 0600. */
    void chmod(String path, int mode);

    /** Sets the mask and returns the previous one. */
    int umask(int mask);

    boolean isatty(int fd);

    /** Replaces this process image (same pid). Returns only by throwing. */
    void execve(String path, List<String> argv, List<String> environment);

    /** setsid(2): returns the new session id. */
    int setsid();

    /** getpwnam + getgrouplist: null when there is no such user. */
    UserInfo lookupUser(String name);

    /** getgrnam: null when there is no such group. */
    GroupInfo lookupGroup(String name);

    /** The absolute path of the running executable (/proc/self/exe). */
    String executablePath();

    // ---- signals -----------------------------------------------------------------------------

    /** pthread_sigmask(SIG_BLOCK) in the calling thread. */
    void blockSignals(Set<Signal> signals);

    /** pthread_sigmask(SIG_UNBLOCK) in the calling thread. */
    void unblockSignals(Set<Signal> signals);

    /** The calling thread's blocked set (of the signals this enum knows). */
    Set<Signal> blockedSignals();

    /** sigaction(SIG_DFL) for each: undoes an inherited "ignore" (a shell's &amp; ignores INT and QUIT). */
    void resetSignalDispositions(Set<Signal> signals);

    /** signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC). The signals must already be blocked in every thread. */
    int signalFd(Set<Signal> signals);

    /** Reads one signal from a signalfd; null when none is pending. */
    SignalInfo readSignal(int signalFd);

    // ---- readiness ---------------------------------------------------------------------------

    /**
     * poll(2) on the descriptors for POLLIN; returns the descriptors that are readable or hung up
     * (POLLIN, POLLHUP, POLLERR), empty on timeout or EINTR. A negative timeout waits forever.
     */
    List<Integer> pollReadable(int[] fds, int timeoutMillis);

    /**
     * poll(2) for POLLRDHUP without waiting: whether the peer of a connected socket has closed or shut down its
     * end (POLLRDHUP or POLLHUP). recvmsg(2) returns 0 alike for end of file and for an empty SOCK_SEQPACKET
     * message; this tells the two apart.
     */
    boolean peerClosed(int fd);
}
