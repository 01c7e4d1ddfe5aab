/*
 * The physical limit for masterwork's channel round trip: one 32-byte nginx frame (CLOSE_CHANNEL,
 * the bytes ngx_channel_t has on LP64) from a parent to a forked child over a SOCK_SEQPACKET
 * socketpair and back, timed per round trip with CLOCK_MONOTONIC.
 *
 * Default mode does exactly the system calls io.masterwork.channel.Channel does in the JVM
 * benchmark (ChannelRoundTrip): non-blocking sockets, poll(2) for readiness, recvmsg(2) with a control
 * area for one SCM_RIGHTS descriptor and MSG_CMSG_CLOEXEC, sendmsg(2) with MSG_NOSIGNAL.
 * --blocking uses blocking recvmsg without poll: the floor, one system call fewer per hop.
 *
 * Usage: channel_pingpong [--round-trips=N] [--warmup=N] [--child-cpu=K] [--blocking]
 * Pin the parent with taskset; the child inherits it, or pins itself to CPU K.
 * Prints: c round_trips=N median_us=.. p99_us=.. mean_us=.. min_us=..
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FRAME_SIZE 32
#define RECEIVE_ROOM (4136 + 1) /* the Channel's receive buffer: MAX_FRAME_SIZE + 1 */

static int blocking;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void send_frame(int fd, const unsigned char *frame) {
    struct iovec iov = {.iov_base = (void *) frame, .iov_len = FRAME_SIZE};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    for (;;) {
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n == FRAME_SIZE) return;
        if (n < 0 && errno == EINTR) continue;
        die("sendmsg");
    }
}

/* Returns the frame length, 0 at EOF. */
static ssize_t receive_frame(int fd, unsigned char *buffer) {
    for (;;) {
        if (!blocking) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int ready = poll(&p, 1, 10000);
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) die("poll");
        }
        union {
            struct cmsghdr align;
            char bytes[CMSG_SPACE(sizeof(int))];
        } control;
        memset(&control, 0, sizeof control);
        struct iovec iov = {.iov_base = buffer, .iov_len = RECEIVE_ROOM};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control.bytes, .msg_controllen = sizeof control.bytes};
        ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        if (n >= 0) {
            if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
                fprintf(stderr, "truncated message\n");
                exit(1);
            }
            return n;
        }
        if (errno == EINTR || errno == EAGAIN) continue;
        die("recvmsg");
    }
}

static int compare(const void *a, const void *b) {
    long x = *(const long *) a, y = *(const long *) b;
    return (x > y) - (x < y);
}

static long percentile(const long *sorted, long n, double p) {
    long index = (long) __builtin_ceil(p / 100.0 * n) - 1;
    if (index < 0) index = 0;
    if (index >= n) index = n - 1;
    return sorted[index];
}

static long now_nanos(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void echo(int fd, int child_cpu) {
    if (child_cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(child_cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
    }
    static unsigned char buffer[RECEIVE_ROOM];
    for (;;) {
        ssize_t n = receive_frame(fd, buffer);
        if (n == 0) _exit(0);
        send_frame(fd, buffer);
    }
}

int main(int argc, char **argv) {
    long round_trips = 20000, warmup = 20000;
    int child_cpu = -1;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--round-trips=", 14) == 0) round_trips = atol(argv[i] + 14);
        else if (strncmp(argv[i], "--warmup=", 9) == 0) warmup = atol(argv[i] + 9);
        else if (strncmp(argv[i], "--child-cpu=", 12) == 0) child_cpu = atoi(argv[i] + 12);
        else if (strcmp(argv[i], "--blocking") == 0) blocking = 1;
        else {
            fprintf(stderr, "unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (round_trips <= 0 || warmup < 0) {
        fprintf(stderr, "--round-trips must be > 0 and --warmup >= 0\n");
        return 2;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
    if (!blocking) {
        for (int i = 0; i < 2; i++) {
            if (fcntl(sv[i], F_SETFL, fcntl(sv[i], F_GETFL) | O_NONBLOCK) != 0) die("fcntl");
        }
    }
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        close(sv[0]);
        echo(sv[1], child_cpu);
    }
    close(sv[1]);

    /* CLOSE_CHANNEL pid 12680 slot 2 fd -1, as nginx 1.22.1 wrote it. */
    unsigned char frame[FRAME_SIZE] = {0};
    frame[0] = 2;
    int32_t pid = 12680;
    int64_t slot = 2;
    int32_t no_fd = -1;
    memcpy(frame + 8, &pid, 4);
    memcpy(frame + 16, &slot, 8);
    memcpy(frame + 24, &no_fd, 4);

    static unsigned char buffer[RECEIVE_ROOM];
    long *nanos = malloc(sizeof(long) * round_trips);
    if (!nanos) die("malloc");
    for (long i = 0; i < warmup + round_trips; i++) {
        long start = now_nanos();
        send_frame(sv[0], frame);
        ssize_t n = receive_frame(sv[0], buffer);
        long elapsed = now_nanos() - start;
        if (n != FRAME_SIZE || memcmp(buffer, frame, FRAME_SIZE) != 0) {
            fprintf(stderr, "the echo changed the frame\n");
            return 1;
        }
        if (i >= warmup) nanos[i - warmup] = elapsed;
    }
    close(sv[0]);
    int status;
    waitpid(child, &status, 0);

    qsort(nanos, round_trips, sizeof(long), compare);
    double sum = 0;
    for (long i = 0; i < round_trips; i++) sum += nanos[i];
    printf("c round_trips=%ld median_us=%.2f p99_us=%.2f mean_us=%.2f min_us=%.2f\n", round_trips,
           percentile(nanos, round_trips, 50) / 1000.0, percentile(nanos, round_trips, 99) / 1000.0,
           sum / round_trips / 1000.0, nanos[0] / 1000.0);
    return 0;
}
