package io.masterwork.worker;

import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.channel.Received;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.Signal;
import io.masterwork.posix.SocketType;
import io.masterwork.posix.SpawnRequest;
import io.masterwork.posix.WaitStatus;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The test plays the master: it makes the command channel and inbox socketpairs, a listener, a
 * memfd with the configuration JSON, and spawns a real worker JVM with the descriptors of the
 * contract (docs/ARCHITECTURE.md). Everything it starts or opens is ended by {@link #close}.
 */
final class MasterStandIn implements AutoCloseable {
    static final Posix POSIX = NativePosix.get();

    final Path dir;
    final Path errorLog;
    final InetSocketAddress address;
    final int listenerFd;
    Channel command;
    int inboxWriteFd = -1;
    int pid = -1;
    private WaitStatus status;
    private final List<Integer> extraFds = new ArrayList<>();
    /** Extra JVM flags for the worker (diagnostics). */
    final List<String> jvmFlags = new ArrayList<>();

    private MasterStandIn(Path dir) {
        this.dir = dir;
        this.errorLog = dir.resolve("error.log");
        this.listenerFd = POSIX.listenTcp(new InetSocketAddress("127.0.0.1", 0), 128);
        this.address = POSIX.localAddress(listenerFd);
    }

    static MasterStandIn create(Path dir) {
        return new MasterStandIn(dir);
    }

    /** The configuration the master would render: the http section and anything else given. */
    String defaultJson(String httpSection) {
        return "{\"worker_shutdown_timeout\":\"10s\",\"masterwork\":{\"prefix\":\"" + dir + "\"},"
                + "\"http\":{" + httpSection + "}}";
    }

    /** Spawns the worker per the contract; the argument list after the main class may be overridden. */
    MasterStandIn spawn(String configJson) {
        return spawn(configJson, System.getProperty("java.class.path"), null, 1);
    }

    /** Spawns the worker in {@code slot} (generation 1), as one of several siblings. */
    MasterStandIn spawnInSlot(String configJson, long slot) {
        return spawn(configJson, System.getProperty("java.class.path"), List.of("--slot=" + slot, "--generation=1",
                "--master-pid=" + POSIX.getpid(), "--listeners=1"), 1);
    }

    MasterStandIn spawn(String configJson, String classPath, List<String> overrideArgs, int listenerCount) {
        int[] channel = POSIX.socketpair(SocketType.SEQPACKET);
        int[] inbox = POSIX.socketpair(SocketType.SEQPACKET);
        int devNull = POSIX.open("/dev/null", OpenFlags.RDWR, 0);
        int log = POSIX.open(errorLog.toString(), OpenFlags.WRONLY | OpenFlags.CREAT | OpenFlags.APPEND, 0644);
        int config = POSIX.memfd("masterwork-config", configJson.getBytes(StandardCharsets.UTF_8));
        try {
            List<String> argv = new ArrayList<>(List.of("masterwork: worker process",
                    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:MaxRAM=1g",
                    "-cp", classPath));
            argv.addAll(jvmFlags);
            argv.add(WorkerMain.class.getName());
            argv.addAll(overrideArgs != null ? overrideArgs : List.of("--slot=3", "--generation=7",
                    "--master-pid=" + POSIX.getpid(), "--listeners=" + listenerCount));
            SpawnRequest request = new SpawnRequest(System.getProperty("java.home") + File.separator + "bin"
                    + File.separator + "java")
                    .argv(argv)
                    .environment(List.of("MASTERWORK_WORKER=1", "PATH=/usr/bin:/bin"))
                    .workingDirectory(dir.toString())
                    .mapFd(devNull, 0).mapFd(log, 1).mapFd(log, 2)
                    .mapFd(channel[1], 3).mapFd(inbox[1], 4).mapFd(config, 5);
            for (int i = 0; i < listenerCount; i++) {
                request.mapFd(listenerFd, 6 + i);
            }
            pid = POSIX.spawn(request);
        } finally {
            POSIX.close(channel[1]);
            POSIX.close(inbox[1]);
            POSIX.close(devNull);
            POSIX.close(log);
            POSIX.close(config);
        }
        command = new Channel(POSIX, channel[0]);
        inboxWriteFd = inbox[0];
        return this;
    }

    /** Waits for READY on the command channel (anything else that arrives first is returned too). */
    ChannelFrame awaitReady(Duration bound) {
        ChannelFrame frame = receive(bound);
        if (frame == null || frame.command() != Command.READY) {
            throw new AssertionError("no READY from worker " + pid + " within " + bound + " (got " + frame
                    + ", exit: " + exitStatus() + ")\n" + errorLogText());
        }
        return frame;
    }

    /** The next frame from the worker, or null at EOF or after the bound. */
    ChannelFrame receive(Duration bound) {
        long end = System.nanoTime() + bound.toNanos();
        while (true) {
            Received r = command.receive();
            if (r.isFrame()) {
                return r.frame();
            }
            if (r.isEof()) {
                return null;
            }
            long left = (end - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return null;
            }
            POSIX.pollReadable(new int[] {command.fd()}, (int) Math.min(left, 200));
        }
    }

    void send(ChannelFrame frame) {
        if (!command.send(frame)) {
            throw new AssertionError("command channel full");
        }
    }

    /** Writes a frame into the worker's inbox, as a sibling (or a forger) would. */
    void sendToInbox(ChannelFrame frame) {
        Channel inbox = new Channel(POSIX, POSIX.dup(inboxWriteFd));
        try {
            if (!inbox.send(frame)) {
                throw new AssertionError("inbox full");
            }
        } finally {
            inbox.close();
        }
    }

    /** The worker's exit status if it has exited, else null (reaps it once). */
    WaitStatus exitStatus() {
        if (status == null && pid > 0) {
            status = POSIX.waitpid(pid, true);
        }
        return status;
    }

    /** Waits up to {@code bound} for the worker to exit. */
    WaitStatus awaitExit(Duration bound) {
        long end = System.nanoTime() + bound.toNanos();
        while (exitStatus() == null && System.nanoTime() < end) {
            sleep(20);
        }
        return exitStatus();
    }

    String errorLogText() {
        try {
            return Files.exists(errorLog) ? Files.readString(errorLog) : "";
        } catch (IOException e) {
            return "(cannot read " + errorLog + ": " + e + ")";
        }
    }

    /** Keeps a descriptor open until {@link #close} (e.g. a sibling's inbox end). */
    int keep(int fd) {
        extraFds.add(fd);
        return fd;
    }

    /** Closes the master's end of the command channel: the worker sees EOF. */
    void closeCommandChannel() {
        command.close();
    }

    /** Closes the listener in this process, as if the master were gone (only the worker's copy remains). */
    void closeListener() {
        POSIX.closeQuietly(listenerFd);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        if (pid > 0 && exitStatus() == null) {
            POSIX.kill(pid, Signal.KILL);
            POSIX.waitpid(pid, false);
        }
        if (command != null && command.isOpen()) {
            command.close();
        }
        if (inboxWriteFd >= 0) {
            POSIX.closeQuietly(inboxWriteFd);
        }
        POSIX.closeQuietly(listenerFd);
        extraFds.forEach(POSIX::closeQuietly);
    }
}
