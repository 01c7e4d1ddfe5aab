package io.masterwork.worker;

import io.masterwork.api.Listener;
import io.masterwork.api.WorkerApplication;
import io.masterwork.api.WorkerIdentity;
import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.channel.FrameException;
import io.masterwork.channel.Received;
import io.masterwork.channel.SpawnContract;
import io.masterwork.channel.Successors;
import io.masterwork.posix.FileStatus;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's life, nginx's {@code ngx_worker_process_cycle}: init, the channel and inbox on the event loop, the
 * application started, READY to the master, then the loop runs until a command (or the master's disappearance) ends
 * it. A spare ({@code --spare}) stops short of the application and waits for its promotion ({@link SparePromotion}).
 */
final class WorkerProcess {
    private static final Logger log = LoggerFactory.getLogger(WorkerProcess.class);

    private final Posix posix;
    private final WorkerArguments arguments;
    private final StartupTiming timing;
    private final CompletableFuture<Integer> exitStatus = new CompletableFuture<>();
    /** The configuration this worker runs with: a spare's is replaced by the one its PROMOTE carries. */
    private WorkerConfiguration config;

    private IoEventLoop loop;
    private Channel commandChannel;
    private Channel inbox;
    private SiblingInboxes siblings;
    private Handovers handovers;
    /** The application's blocking threads (made on first use), stopped once the worker is done. */
    private final BlockingExecutor blocking = new BlockingExecutor();
    /** How long an exiting worker waits for blocking work under way, then again after interrupting it. */
    static final java.time.Duration BLOCKING_STOP_BOUND = java.time.Duration.ofSeconds(1);
    private WorkerShutdown shutdown;
    private WorkerApplication application;
    private WorkerIdentity identity;
    /** The listeners, served by the application once it starts (a spare's: only after its promotion). */
    private List<InheritedListener> listeners = List.of();
    /** Only in a spare, until it exits: what it does before and at its promotion. */
    private SparePromotion spare;

    WorkerProcess(Posix posix, WorkerArguments arguments, WorkerConfiguration config, long mainEnteredNanos) {
        this.posix = posix;
        this.arguments = arguments;
        this.config = config;
        this.timing = new StartupTiming(mainEnteredNanos);
    }

    /**
     * Runs the worker; returns its exit status. Init failures throw {@link WorkerInitException}; once the command
     * channel is open, the master hears why first (INIT_FAILED), to report a refused reload or a first generation
     * that cannot start with the application's own message.
     */
    int run() {
        try {
            return initAndServe();
        } catch (WorkerInitException e) {
            reportInitFailure(e.getMessage());
            throw e;
        } catch (RuntimeException | Error e) {
            reportInitFailure("worker init failed: " + e);
            throw e;
        }
    }

    private int initAndServe() {
        requireSocket(SpawnContract.CHANNEL_FD, "the command channel");
        requireSocket(SpawnContract.INBOX_FD, "the inbox");
        for (int i = 0; i < arguments.listeners(); i++) {
            requireSocket(SpawnContract.FIRST_LISTENER_FD + i, "listener " + i);
        }
        timing.initStarts();
        if (arguments.spare()) {
            spare = new SparePromotion(this, posix);
        }
        new WorkerInit(posix, config).run();
        timing.eventLoopStarts();
        identity = new WorkerIdentity(posix.getpid(), arguments.slot(), arguments.generation(), arguments.masterPid());
        loop = startEventLoop(config.eventLoopThreads());
        listeners = inheritListeners();
        siblings = new SiblingInboxes(posix, loop, identity.pid(), identity.slot());
        handovers = new Handovers(posix, loop, siblings, identity.pid(), identity.slot());
        shutdown = new WorkerShutdown(loop, listeners, exitStatus);
        try {
            commandChannel = new Channel(posix, SpawnContract.CHANNEL_FD);
            inbox = new Channel(posix, SpawnContract.INBOX_FD);
        } catch (ChannelException e) {
            throw new WorkerInitException(e.getMessage(), e);
        }
        // The applications' SettingsChecks, as the worker user now (never in the root master): a refusal is this
        // worker's init failure, and the master's refused reload or failed start says the check's message.
        checkApplicationSettings();
        if (spare != null) {
            long rehearsalStart = System.nanoTime();
            spare.rehearse(loop, config, identity);
            timing.rehearsed(rehearsalStart, System.nanoTime());
        }
        if (spare != null) {
            // Before the command channel is watched: a PROMOTE already waiting there (a spare promoted while still
            // starting) is handled by the event loop at once, and its promotion needs the inbox and its continuations.
            spare.holdInbox(register(inbox, this::onInboxMessage, "the inbox"));
        }
        watch(commandChannel, this::onCommand, "the command channel");
        WorkerSignals.install(loop, () -> shutdown.quit(config.shutdownTimeout()), shutdown::terminate, this::reopen);
        timing.applicationStarts();
        if (spare != null) {
            // Initialised, and no further: the application (which registers the listeners for accept) starts only
            // on PROMOTE, with the configuration and the slot that frame carries.
            String phases = timing.sparePhases();
            loop.execute(() -> spare.reportSpareReady(identity, phases));
            return awaitExitStatus();
        }
        if (!startApplication(new WorkerContext(identity, new ArrayList<Listener>(listeners), config, loop, siblings)
                .handover(handovers).blocking(blocking))) {
            return awaitExitStatus(); // told to exit (or the master died) before the application finished starting
        }
        // Only now: a message a sibling sent while this worker was starting (the master announces a new worker to
        // its siblings at once) waits in the inbox until the application has set its handler.
        watch(inbox, this::onInboxMessage, "the inbox");
        String phases = timing.workerPhases();
        loop.execute(() -> reportReady(phases));
        return awaitExitStatus();
    }

    /** {@link ApplicationSettings} on the configuration this worker runs with, which then holds the checked sections. */
    void checkApplicationSettings() {
        try {
            config = ApplicationSettings.check(config);
        } catch (ApplicationSettings.Rejected e) {
            throw new WorkerInitException(e.getMessage(), e);
        }
    }

    /** INIT_FAILED to the master, when the channel is open and takes it now; the exit status follows anyway. */
    void reportInitFailure(String reason) {
        if (commandChannel == null || !commandChannel.isOpen()) {
            return;
        }
        try {
            commandChannel.send(ChannelFrame.initFailed(identity == null ? posix.getpid() : identity.pid(),
                    identity == null ? arguments.slot() : identity.slot(), reason == null ? "unknown" : reason));
        } catch (RuntimeException e) { // ChannelException among them: the exit status follows anyway
            log.debug("INIT_FAILED not sent: {}", e.toString());
        }
    }

    private static IoEventLoop startEventLoop(int threads) {
        AtomicInteger created = new AtomicInteger();
        // "loop" shows in every error log line the event loop writes (pid#loop), like nginx's pid#tid.
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, (Runnable r) -> new FastThreadLocalThread(r,
                threads == 1 ? "loop" : "loop-" + created.incrementAndGet()), EpollIoHandler.newFactory());
        return group.next();
    }

    private int awaitExitStatus() {
        int status;
        try {
            status = exitStatus.get();
        } catch (InterruptedException | ExecutionException e) {
            status = 1;
        }
        if (shutdown != null && shutdown.applicationStopped()) {
            // A graceful end, after the application's stop hook: its blocking work gets a moment to finish, then is
            // interrupted. TERMINATE exits at once (the threads are daemons).
            blocking.stop(BLOCKING_STOP_BOUND);
        }
        return status;
    }

    private static void requireSocket(int fd, String what) {
        String target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            throw new WorkerInitException("descriptor " + fd + " (" + what + ") is not open");
        }
        if (!target.startsWith("socket:")) {
            throw new WorkerInitException("descriptor " + fd + " (" + what + ") is not a socket but " + target);
        }
    }

    private List<InheritedListener> inheritListeners() {
        List<InheritedListener> inherited = new ArrayList<>();
        for (int i = 0; i < arguments.listeners(); i++) {
            int fd = SpawnContract.FIRST_LISTENER_FD + i;
            InetSocketAddress address;
            try {
                address = posix.localAddress(fd);
                // The accept loop must never block; O_NONBLOCK is shared with the master's copy, which never accepts.
                posix.setNonBlocking(fd, true);
            } catch (PosixException e) {
                throw new WorkerInitException("descriptor " + fd + " (listener " + i + ") is not a TCP listener: "
                        + e.getMessage(), e);
            }
            inherited.add(new InheritedListener(posix, i, fd, address, loop));
        }
        return inherited;
    }

    private void watch(Channel channel, Consumer<Received> consumer, String what) {
        register(channel, consumer, what).watchReadable();
    }

    /** Registers {@code channel} with the event loop, not yet watched: the epoll set holds it from the first watch on. */
    private ChannelWatch register(Channel channel, Consumer<Received> consumer, String what) {
        ChannelWatch handle = new ChannelWatch(channel, received -> {
            try {
                consumer.accept(received);
            } catch (RuntimeException e) {
                log.error("handling {} from {} failed", received, what, e);
            }
        });
        try {
            IoRegistration registration = loop.register(handle).get(10, TimeUnit.SECONDS);
            handle.registered(registration);
        } catch (Exception e) {
            throw new WorkerInitException("cannot watch " + what + " on the event loop: " + e, e);
        }
        return handle;
    }

    /**
     * The application's start, on the event loop, awaited here: a failure is this worker's init failure (exit 2).
     * False when the worker was told to exit (TERMINATE, QUIT, the master's death) before the start completed: an
     * application that never finishes starting must not make the worker deaf to its master (a reload rolled back
     * for worker_ready_timeout terminates exactly such workers).
     */
    private boolean startApplication(WorkerContext context) {
        CompletableFuture<Void> started = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                startApplicationOnLoop(context).whenComplete((ok, failure) -> {
                    if (failure != null) {
                        started.completeExceptionally(failure);
                    } else {
                        started.complete(null);
                    }
                });
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        });
        try {
            CompletableFuture.anyOf(started, exitStatus).get();
            if (!started.isDone()) {
                return false;
            }
            started.get();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WorkerInitException("interrupted while starting the application");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new WorkerInitException("the application " + (application == null ? "" : application.getClass().getName() + " ")
                    + "did not start: " + cause, cause);
        }
    }

    /** Loads the application ({@code modules.worker}) and starts it; runs on the event loop. */
    CompletionStage<Void> startApplicationOnLoop(WorkerContext context) throws Exception {
        application = ApplicationLoader.load(config, context, posix);
        shutdown.application(application);
        return application.start(context);
    }

    private void reportReady(String phases) {
        if (sendReady(ChannelFrame.ready(identity.pid(), identity.slot()), () -> reportReady(phases))) {
            logReady(phases);
        }
    }

    /**
     * Sends a READY; true once it is written. A full channel (the master is busy) tries again in 10 ms; a closed or
     * broken one gives up (the master is gone, and this worker drains on the channel's EOF).
     */
    boolean sendReady(ChannelFrame ready, Runnable retry) {
        try {
            if (!commandChannel.isOpen()) {
                return false;
            }
            if (!commandChannel.send(ready)) {
                loop.schedule(retry, 10, TimeUnit.MILLISECONDS);
                return false;
            }
            return true;
        } catch (ChannelException e) {
            log.warn("cannot send READY: {}", e.getMessage());
            return false;
        }
    }

    void logReady(String phases) {
        log.info("worker ready: slot {} generation {}, {} listener(s), {} after the process started ({} ms after main: {})",
                identity.slot(), identity.generation(), arguments.listeners(), StartupTiming.processAge(),
                timing.millisSinceMain(), phases);
    }

    /** nginx's {@code ngx_channel_handler}: the master's commands. */
    private void onCommand(Received received) {
        if (received.isEof()) {
            log.info("the command channel is closed: the master is gone");
            shutdown.masterGone();
            return;
        }
        if (!received.isFrame()) {
            log.error("dropped a malformed frame on the command channel: {}", received.error().getMessage());
            return;
        }
        ChannelFrame frame = received.frame();
        switch (frame.command()) {
            case OPEN_CHANNEL -> siblings.open(frame.slot(), frame.pid(), frame.fd());
            case CLOSE_CHANNEL -> siblings.close(frame.slot(), frame.pid());
            case QUIT -> shutdown.quit(config.shutdownTimeout());
            case TERMINATE -> shutdown.terminate();
            case REOPEN -> reopen();
            case HEARTBEAT -> answerHeartbeat();
            case PROMOTE -> promote(frame);
            case RETIRE -> retire(frame);
            case REPORT -> report(frame);
            default -> {
                log.warn("dropped {} on the command channel: not a command for a worker", frame.command());
                closeDescriptor(frame);
            }
        }
    }

    private void promote(ChannelFrame frame) {
        if (spare == null) {
            log.warn("dropped PROMOTE for slot {}: this worker is not a spare", frame.slot());
            closeDescriptor(frame);
            return;
        }
        try {
            spare.promote(frame);
        } catch (RuntimeException e) {
            // A promotion that threw half-way would leave a process the master counts as a starting worker.
            spare.promotionFailed("the promotion failed: " + e);
        }
    }

    /** Messages from siblings. Never commands: whatever else arrives here is logged and dropped. */
    private void onInboxMessage(Received received) {
        if (received.isEof()) {
            log.debug("the inbox is closed on every writing side");
            return;
        }
        if (!received.isFrame()) {
            log.error("dropped a malformed frame on the inbox: {}", received.error().getMessage());
            return;
        }
        ChannelFrame frame = received.frame();
        if (frame.command() == Command.MESSAGE) {
            siblings.deliver(frame);
            return;
        }
        if (frame.command() == Command.HANDOVER) {
            handovers.adopt(frame); // owns frame.fd() from here
            return;
        }
        log.warn("ignored {} from pid {} on the inbox: the inbox carries messages from siblings, never commands",
                frame.command(), frame.pid());
        closeDescriptor(frame);
    }

    /** RETIRE (before QUIT): whom to hand live connections to while draining. A bad list means no handover. */
    private void retire(ChannelFrame frame) {
        try {
            handovers.retire(Successors.decode(frame.payload()));
        } catch (FrameException e) {
            log.error("dropped RETIRE: {}; connections will end gracefully", e.getMessage());
        }
    }

    void closeDescriptor(ChannelFrame frame) {
        if (frame.fd() >= 0) {
            posix.closeQuietly(frame.fd());
        }
    }

    private void reopen() {
        reopenErrorLog();
        if (application != null) {
            application.reopen();
        }
        log.info("logs reopened");
    }

    /**
     * stdout and stderr are the error log. After logrotate moved it, the master created the new file (owned by the
     * worker user); pointing descriptors 1 and 2 at it by path, as nginx's workers reopen theirs, keeps JVM messages
     * and this worker's log lines from going to the rotated file.
     */
    void reopenErrorLog() {
        config.errorLogPath().ifPresent(path -> {
            int fd = -1;
            try {
                // Never through a link, never blocked on a FIFO: the file is the master's to create (MasterLogFiles).
                fd = posix.open(path.toString(), OpenFlags.WRONLY | OpenFlags.APPEND | OpenFlags.CREAT
                        | OpenFlags.NOFOLLOW | OpenFlags.NONBLOCK | OpenFlags.CLOEXEC, 0644);
                FileStatus found = posix.fstat(fd);
                if (!found.isRegularFile()) {
                    log.error("cannot reopen the error log {}: it is a {}, not a regular file", path, found.kind());
                    return;
                }
                posix.dup2(fd, 1);
                posix.dup2(fd, 2);
            } catch (PosixException e) {
                log.error("cannot reopen the error log {}: {}", path, e.getMessage());
            } finally {
                if (fd > 2) {
                    posix.closeQuietly(fd);
                }
            }
        });
    }

    /** REPORT: the figures go back at once as one STATUS frame; a full channel loses this one answer, nothing else. */
    private void report(ChannelFrame frame) {
        if (frame.payloadLength() != 0) {
            log.warn("dropped REPORT with a {}-byte payload: it carries none", frame.payloadLength());
            return;
        }
        try {
            commandChannel.send(ChannelFrame.status(identity.pid(), identity.slot(),
                    FiguresReport.collect(application, siblings).encode()));
        } catch (ChannelException e) {
            log.debug("figures not sent: {}", e.getMessage());
        }
    }

    private void answerHeartbeat() {
        try {
            commandChannel.send(ChannelFrame.heartbeat(identity.pid(), identity.slot()));
        } catch (ChannelException e) {
            log.debug("heartbeat answer not sent: {}", e.getMessage());
        }
    }

    // ---- what a spare's promotion changes (SparePromotion, on the event loop) ----------------------------------

    WorkerConfiguration config() {
        return config;
    }

    void takeConfiguration(WorkerConfiguration promoted) {
        config = promoted;
    }

    WorkerIdentity identity() {
        return identity;
    }

    /** The slot and generation a PROMOTE names: a new identity, with the siblings and handovers of that slot. */
    WorkerContext serveIn(long slot, long generation) {
        identity = new WorkerIdentity(identity.pid(), slot, generation, arguments.masterPid());
        siblings = new SiblingInboxes(posix, loop, identity.pid(), identity.slot());
        handovers = new Handovers(posix, loop, siblings, identity.pid(), identity.slot());
        return new WorkerContext(identity, new ArrayList<Listener>(listeners), config, loop, siblings).handover(handovers)
                .blocking(blocking);
    }

    int listenerCount() {
        return arguments.listeners();
    }

    long millisSinceMain() {
        return timing.millisSinceMain();
    }

    void exit(int status) {
        shutdown.exit(status);
    }
}
