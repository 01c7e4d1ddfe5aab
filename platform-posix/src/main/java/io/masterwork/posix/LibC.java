package io.masterwork.posix;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc functions masterwork calls, bound with jnr-ffi. Kept deliberately small: a worker JVM
 * binds only this interface at start-up instead of jnr-posix's whole libc (~110 ms saved).
 * Structures are laid out by hand in native memory by the *Support classes (x86_64 / LP64 layouts).
 */
public interface LibC {
    // descriptors
    int socketpair(int domain, int type, int protocol, @Out int[] sv);

    int pipe2(@Out int[] fds, int flags);

    int close(int fd);

    int fcntl(int fd, int cmd, int arg);

    int dup2(int oldFd, int newFd);

    int ioctl(int fd, long request, Pointer arg);

    @ssize_t long read(int fd, Pointer buf, @size_t long count);

    @ssize_t long write(int fd, Pointer buf, @size_t long count);

    long lseek(int fd, long offset, int whence);

    int open(String path, int flags, int mode);

    int memfd_create(String name, int flags);

    /** glibc 2.33+ exports fstat itself (before, only __fxstat): the README asks for 2.34. */
    int fstat(int fd, Pointer stat);

    int fchown(int fd, int uid, int gid);

    int fchmod(int fd, int mode);

    // sockets
    @ssize_t long sendmsg(int fd, Pointer msghdr, int flags);

    @ssize_t long recvmsg(int fd, Pointer msghdr, int flags);

    int socket(int domain, int type, int protocol);

    int setsockopt(int fd, int level, int name, Pointer value, int length);

    int getsockopt(int fd, int level, int name, Pointer value, Pointer length);

    int bind(int fd, Pointer address, int length);

    int listen(int fd, int backlog);

    int accept4(int fd, Pointer address, Pointer length, int flags);

    int getsockname(int fd, Pointer address, Pointer length);

    @ssize_t long sendto(int fd, Pointer buf, @size_t long length, int flags, Pointer address, int addressLength);

    // processes
    int posix_spawn(Pointer pid, String path, Pointer fileActions, Pointer attributes, Pointer argv, Pointer envp);

    int posix_spawnp(Pointer pid, String file, Pointer fileActions, Pointer attributes, Pointer argv, Pointer envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    int posix_spawn_file_actions_addclose(Pointer fileActions, int fd);

    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int from);

    int posix_spawn_file_actions_addchdir_np(Pointer fileActions, String path);

    int posix_spawnattr_init(Pointer attributes);

    int posix_spawnattr_destroy(Pointer attributes);

    int posix_spawnattr_setflags(Pointer attributes, short flags);

    int posix_spawnattr_setsigmask(Pointer attributes, Pointer sigset);

    int posix_spawnattr_setsigdefault(Pointer attributes, Pointer sigset);

    int kill(int pid, int signal);

    int waitpid(int pid, @Out int[] status, int options);

    int getpid();

    int getppid();

    long syscall(long number);

    long syscall(long number, long a1, long a2);

    long syscall(long number, long a1, long a2, long a3, long a4);

    int prctl(int option, long a2, long a3, long a4, long a5);

    int capget(Pointer header, Pointer data);

    int getuid();

    int geteuid();

    int getgid();

    int setpriority(int which, int who, int prio);

    /** glibc passes the policy as it is (no SCHED_RESET_ON_FORK is ever or'ed in here). */
    int sched_setscheduler(int pid, int policy, Pointer param);

    int sched_getscheduler(int pid);

    int getrlimit(int resource, Pointer rlimit);

    int setrlimit(int resource, Pointer rlimit);

    int sched_setaffinity(int pid, @size_t long size, Pointer mask);

    int sched_getaffinity(int pid, @size_t long size, Pointer mask);

    int setuid(int uid);

    int setgid(int gid);

    int setgroups(@size_t long size, @In int[] gids);

    int getgroups(int size, @Out int[] gids);

    int getgrouplist(String user, int group, @Out int[] groups, @In @Out int[] count);

    int chown(String path, int uid, int gid);

    int chmod(String path, int mode);

    int umask(int mask);

    int isatty(int fd);

    int execve(String path, Pointer argv, Pointer envp);

    int setsid();

    // signals
    int pthread_sigmask(int how, Pointer set, Pointer oldSet);

    int sigaction(int signal, Pointer action, Pointer oldAction);

    int signalfd(int fd, Pointer mask, int flags);

    int poll(Pointer fds, long count, int timeout);

    String strerror(int errno);
}
