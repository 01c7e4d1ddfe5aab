package io.masterwork.worker;

import io.masterwork.api.Listener;
import io.masterwork.api.WorkerApplication;
import io.masterwork.api.WorkerIdentity;
import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Received;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

/**
 * One worker's life, nginx's {@code ngx_worker_process_cycle}: init, the channel and inbox on the
 * event loop, the application started, READY to the master, then the loop runs until a command (or
 * the master's disappearance) ends it.
 */
final class WorkerProcess {
    private static final Logger log = LoggerFactory.getLogger(WorkerProcess.class);

    static final int CHANNEL_FD = 3;
    static final int INBOX_FD = 4;
    static final int CONFIG_FD = 5;
    static final int FIRST_LISTENER_FD = 6;

    private final Posix posix;
    private final WorkerArguments arguments;
    /** The configuration this worker runs with: a spare's is replaced by the one its PROMOTE carries. */
    private WorkerConfiguration config;
    private final long mainEnteredNanos;
    private final CompletableFuture<Integer> exitStatus = new CompletableFuture<>();

    private MultiThreadIoEventLoopGroup group;
    private IoEventLoop loop;
    private Channel commandChannel;
    private Channel inbox;
    private SiblingInboxes siblings;
    private Handovers handovers;
    private WorkerShutdown shutdown;
    private WorkerApplication application;
    private WorkerIdentity identity;
    private volatile String phases = "";
    /** The listeners, served by the application once it starts (a spare's: only after its promotion). */
    private List<InheritedListener> inheritedListeners = List.of();
    /** A spare's argv area, opened before its credentials change, for the title its promotion sets. */
    private io.masterwork.posix.ProcessTitle.Rewriter titleRewriter;
    /** A spare that received its PROMOTE (set on the event loop). */
    private boolean promoted;
    /** A spare's inbox, registered with the event loop but watched only once promoted. */
    private ChannelWatch spareInbox;
    /**
     * The promotion's continuations, made in the spare phase: the first evaluation of a lambda or method reference
     * links its call site and spins a class, 1 to 4 ms measured inside a promotion, before READY or the first accept.
     */
    private java.util.function.BiConsumer<Void, Throwable> continueAfterApplicationStart;
    private Runnable settleAfterReady;
    /** The slot's CPUs and the timed steps of this worker's promotion, from PROMOTE to {@link #settleIntoSlot}. */
    private java.util.BitSet promotionCpus;
    private PromotionTimeline promotionTimeline;
    /** A spare's configuration as the master rendered it: a PROMOTE carrying the same bytes needs no parse. */
    private byte[] spareConfigBytes;
    /** How long a promoted worker lets the event loop accept before the steps that follow its READY. */
    static final long SETTLE_AFTER_READY_MILLIS = 5;

    WorkerProcess(Posix posix, WorkerArguments arguments, WorkerConfiguration config, long mainEnteredNanos) {
        this.posix = posix;
        this.arguments = arguments;
        this.config = config;
        this.mainEnteredNanos = mainEnteredNanos;
    }

    /** Runs the worker; returns its exit status. Init failures throw {@link WorkerInitException}. */
    int run() {
        requireSocket(CHANNEL_FD, "the command channel");
        requireSocket(INBOX_FD, "the inbox");
        for (int i = 0; i < arguments.listeners(); i++) {
            requireSocket(FIRST_LISTENER_FD + i, "listener " + i);
        }
        long initStart = System.nanoTime();
        if (arguments.spare()) {
            titleRewriter = io.masterwork.posix.ProcessTitle.rewriter();
        }
        new WorkerInit(posix, config).run();
        long loopStart = System.nanoTime();
        identity = new WorkerIdentity(posix.getpid(), arguments.slot(), arguments.generation(), arguments.masterPid());

        int threads = config.eventLoopThreads();
        java.util.concurrent.atomic.AtomicInteger created = new java.util.concurrent.atomic.AtomicInteger();
        // "loop" shows in every error log line the event loop writes (pid#loop), like nginx's pid#tid.
        group = new MultiThreadIoEventLoopGroup(threads, (Runnable r) -> new io.netty.util.concurrent.FastThreadLocalThread(r,
                threads == 1 ? "loop" : "loop-" + created.incrementAndGet()), EpollIoHandler.newFactory());
        loop = group.next();
        List<InheritedListener> listeners = inheritListeners();
        inheritedListeners = listeners;
        siblings = new SiblingInboxes(posix, loop, identity.pid(), identity.slot());
        handovers = new Handovers(posix, loop, siblings, identity.pid(), identity.slot());
        shutdown = new WorkerShutdown(loop, listeners, exitStatus);
        try {
            commandChannel = new Channel(posix, CHANNEL_FD);
            inbox = new Channel(posix, INBOX_FD);
        } catch (ChannelException e) {
            throw new WorkerInitException(e.getMessage(), e);
        }
        long rehearsalStart = System.nanoTime();
        if (arguments.spare()) {
            // Before the command channel is watched: a PROMOTE (or QUIT) sent meanwhile waits in the socket until
            // the rehearsal is over, so nothing the rehearsal does (affinity, title) can race with a promotion.
            spareConfigBytes = WorkerConfiguration.readDescriptorBytes(CONFIG_FD);
            new SpareRehearsal(posix, loop, config, identity).run();
            if (titleRewriter != null) {
                titleRewriter.set(WorkerMain.SPARE_TITLE);
            }
            // The "worker ready" line's /proc reads, run once now: cold, such code cost a promotion milliseconds.
            io.masterwork.posix.ProcessAge.millis();
        }
        long rehearsalDone = System.nanoTime();
        watch(commandChannel, this::onCommand, "the command channel");
        if (arguments.spare()) {
            // Registered now, watched from the promotion on: what the promotion does with it is then one epoll_ctl,
            // and no sibling writes to a spare's inbox before (the master announces it only with its promotion).
            spareInbox = register(inbox, this::onInboxMessage, "the inbox");
            continueAfterApplicationStart = this::promotedApplicationStarted;
            settleAfterReady = this::settleIntoSlot;
        }
        WorkerSignals.install(loop, () -> shutdown.quit(config.shutdownTimeout()), shutdown::terminate, this::reopen);
        long appStart = System.nanoTime();
        if (arguments.spare()) {
            // Initialised, and no further: the application (which registers the listeners for accept) starts
            // only on PROMOTE, with the configuration and the slot that frame carries.
            phases = "before init " + millis(mainEnteredNanos, initStart) + " ms, init " + millis(initStart, loopStart)
                    + " ms, event loop and channels " + millis(loopStart, appStart - (rehearsalDone - rehearsalStart))
                    + " ms, rehearsal " + millis(rehearsalStart, rehearsalDone) + " ms";
            loop.execute(this::reportSpareReady);
            return awaitExitStatus();
        }

        WorkerContext context = new WorkerContext(identity, new ArrayList<Listener>(listeners), config, loop, siblings)
                .handover(handovers);
        startApplication(context);
        // Only now: a message a sibling sent while this worker was starting (the master announces a new
        // worker to its siblings at once) waits in the inbox until the application has set its handler.
        watch(inbox, this::onInboxMessage, "the inbox");
        long appDone = System.nanoTime();
        phases = "before init " + millis(mainEnteredNanos, initStart) + " ms, init " + millis(initStart, loopStart)
                + " ms, event loop and channels " + millis(loopStart, appStart) + " ms, application start "
                + millis(appStart, appDone) + " ms";
        loop.execute(this::reportReady);

        int status;
        try {
            status = exitStatus.get();
        } catch (InterruptedException | ExecutionException e) {
            status = 1;
        }
        return status;
    }

    private static long millis(long from, long to) {
        return (to - from) / 1_000_000;
    }

    private static void requireSocket(int fd, String what) {
        Path link = Path.of("/proc/self/fd/" + fd);
        String target;
        try {
            target = Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            throw new WorkerInitException("descriptor " + fd + " (" + what + ") is not open");
        }
        if (!target.startsWith("socket:")) {
            throw new WorkerInitException("descriptor " + fd + " (" + what + ") is not a socket but " + target);
        }
    }

    private List<InheritedListener> inheritListeners() {
        List<InheritedListener> listeners = new ArrayList<>();
        for (int i = 0; i < arguments.listeners(); i++) {
            int fd = FIRST_LISTENER_FD + i;
            InetSocketAddress address;
            try {
                address = posix.localAddress(fd);
                // The accept loop must never block; O_NONBLOCK is shared with the master's copy, which never accepts.
                posix.setNonBlocking(fd, true);
            } catch (PosixException e) {
                throw new WorkerInitException("descriptor " + fd + " (listener " + i + ") is not a TCP listener: "
                        + e.getMessage(), e);
            }
            listeners.add(new InheritedListener(posix, i, fd, address, loop));
        }
        return listeners;
    }

    private void watch(Channel channel, java.util.function.Consumer<Received> consumer, String what) {
        register(channel, consumer, what).watchReadable();
    }

    /** Registers {@code channel} with the event loop, not yet watched: the epoll set holds it from the first watch on. */
    private ChannelWatch register(Channel channel, java.util.function.Consumer<Received> consumer, String what) {
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

    private void startApplication(WorkerContext context) {
        CompletableFuture<Void> started = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                application = ApplicationLoader.load(config, context, posix);
                shutdown.application(application);
                CompletionStage<Void> ready = application.start(context);
                ready.whenComplete((ok, failure) -> {
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
            started.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WorkerInitException("interrupted while starting the application");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new WorkerInitException("the application " + (application == null ? "" : application.getClass().getName() + " ")
                    + "did not start: " + cause, cause);
        }
    }

    private void reportReady() {
        try {
            if (!commandChannel.isOpen()) {
                return;
            }
            if (!commandChannel.send(ChannelFrame.ready(identity.pid(), identity.slot()))) {
                loop.schedule(this::reportReady, 10, TimeUnit.MILLISECONDS);
                return;
            }
        } catch (ChannelException e) {
            log.warn("cannot send READY: {}", e.getMessage());
            return;
        }
        logReady();
    }

    private void logReady() {
        long sinceMain = (System.nanoTime() - mainEnteredNanos) / 1_000_000;
        java.util.OptionalLong age = io.masterwork.posix.ProcessAge.millis();
        String sinceStart = age.isPresent() ? age.getAsLong() + " ms" : "?";
        log.info("worker ready: slot {} generation {}, {} listener(s), {} after the process started ({} ms after main: {})",
                identity.slot(), identity.generation(), arguments.listeners(), sinceStart, sinceMain, phases);
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
            default -> {
                log.warn("dropped {} on the command channel: not a command for a worker", frame.command());
                closeDescriptor(frame);
            }
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
        if (frame.command() == io.masterwork.channel.Command.MESSAGE) {
            siblings.deliver(frame);
            return;
        }
        if (frame.command() == io.masterwork.channel.Command.HANDOVER) {
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
            handovers.retire(io.masterwork.channel.Successors.decode(frame.payload()));
        } catch (io.masterwork.channel.FrameException e) {
            log.error("dropped RETIRE: {}; connections will end gracefully", e.getMessage());
        }
    }

    private void closeDescriptor(ChannelFrame frame) {
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
     * stdout and stderr are the error log. After logrotate moved it, the master created the new file (owned
     * by the worker user); pointing descriptors 1 and 2 at it by path, as nginx's workers reopen theirs,
     * keeps JVM messages and this worker's log lines from going to the rotated file.
     */
    private void reopenErrorLog() {
        config.errorLogPath().ifPresent(path -> {
            int fd = -1;
            try {
                fd = posix.open(path.toString(), OpenFlags.WRONLY | OpenFlags.APPEND | OpenFlags.CREAT, 0644);
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

    private void answerHeartbeat() {
        try {
            commandChannel.send(ChannelFrame.heartbeat(identity.pid(), identity.slot()));
        } catch (ChannelException e) {
            log.debug("heartbeat answer not sent: {}", e.getMessage());
        }
    }

    // ---- a spare worker (worker_spares) -----------------------------------------------------

    private int awaitExitStatus() {
        try {
            return exitStatus.get();
        } catch (InterruptedException | ExecutionException e) {
            return 1;
        }
    }

    /** READY with the payload "spare": initialised, waiting for PROMOTE, not serving. Never after a promotion. */
    private void reportSpareReady() {
        if (promoted || !commandChannel.isOpen()) {
            return;
        }
        try {
            ChannelFrame ready = new ChannelFrame(io.masterwork.channel.Command.READY, identity.pid(), identity.slot(), -1,
                    "spare".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            if (!commandChannel.send(ready)) {
                loop.schedule(this::reportSpareReady, 10, TimeUnit.MILLISECONDS);
                return;
            }
        } catch (ChannelException e) {
            log.warn("cannot send READY: {}", e.getMessage());
            return;
        }
        log.info("spare worker ready: spare {} generation {}, {} listener(s) held, not accepting ({} ms after main: {})",
                identity.slot(), identity.generation(), arguments.listeners(),
                (System.nanoTime() - mainEnteredNanos) / 1_000_000, phases);
    }

    /**
     * PROMOTE: this spare becomes the worker of the frame's slot. Its configuration goes to descriptor 5 (as a
     * fresh worker's), the title is shortened in place, and the application starts — only now are the listeners
     * registered for accept — then READY, as a fresh worker's. The slot's CPUs are applied to every thread after
     * READY (see {@link #settleIntoSlot}): they matter for throughput, not for the first accept.
     */
    private void promote(ChannelFrame frame) {
        PromotionTimeline timeline = new PromotionTimeline(System.nanoTime());
        if (!arguments.spare() || promoted) {
            log.warn("dropped PROMOTE for slot {}: this worker is {}", frame.slot(),
                    promoted ? "already promoted" : "not a spare");
            closeDescriptor(frame);
            return;
        }
        io.masterwork.channel.Promotion promotion;
        try {
            promotion = io.masterwork.channel.Promotion.of(frame);
        } catch (io.masterwork.channel.FrameException e) {
            log.error("dropped a malformed PROMOTE: {}", e.getMessage());
            closeDescriptor(frame);
            return;
        }
        promoted = true;
        java.util.Optional<Path> spareErrorLog = config.errorLogPath();
        try {
            posix.dup2(frame.fd(), CONFIG_FD);
            posix.closeQuietly(frame.fd());
            if (!WorkerConfiguration.holdsExactly(posix, CONFIG_FD, spareConfigBytes)) {
                // A reload's configuration; a dead worker's slot in the spare's own generation has the same bytes.
                byte[] bytes = WorkerConfiguration.readDescriptorBytes(CONFIG_FD);
                config = WorkerConfiguration.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8),
                        "configuration on descriptor " + CONFIG_FD);
            }
            spareConfigBytes = null;
        } catch (RuntimeException e) {
            log.error(io.masterwork.worker.log.Markers.EMERG, "cannot take the configuration of PROMOTE: {}", e.toString());
            shutdown.exit(1);
            return;
        }
        timeline.step("configuration");
        io.masterwork.worker.log.WorkerLogging.applyLevel(config.errorLogLevel());
        if (!config.errorLogPath().equals(spareErrorLog)) {
            reopenErrorLog();
        }
        boolean titled = titleRewriter != null && titleRewriter.set(WorkerMain.TITLE);
        if (titleRewriter != null) {
            titleRewriter.close();
            titleRewriter = null;
        }
        if (!titled) {
            log.warn("cannot set the process title to \"{}\"", WorkerMain.TITLE);
        }
        timeline.step("log level and title");

        identity = new WorkerIdentity(identity.pid(), frame.slot(), promotion.generation(), arguments.masterPid());
        siblings = new SiblingInboxes(posix, loop, identity.pid(), identity.slot());
        handovers = new Handovers(posix, loop, siblings, identity.pid(), identity.slot());
        WorkerContext context = new WorkerContext(identity, new ArrayList<Listener>(inheritedListeners), config, loop,
                siblings).handover(handovers);
        CompletionStage<Void> started;
        try {
            application = ApplicationLoader.load(config, context, posix);
            shutdown.application(application);
            started = application.start(context);
        } catch (Throwable e) {
            applicationFailed(e);
            return;
        }
        timeline.step("application start");
        promotionCpus = promotion.cpus();
        promotionTimeline = timeline;
        started.whenComplete(continueAfterApplicationStart);
    }

    private void promotedApplicationStarted(Void ok, Throwable failure) {
        if (!loop.inEventLoop()) {
            // An application that is ready when start returns (the built-in one) goes on at once, on the event loop;
            // one whose start completes elsewhere is brought back to the loop.
            loop.execute(() -> promotedApplicationStarted(ok, failure));
            return;
        }
        if (failure != null) {
            applicationFailed(failure);
            return;
        }
        spareInbox.watchReadable();
        reportPromotedReady();
    }

    /** READY for the slot, then (a moment later) the slot's CPUs and the "worker ready" line. */
    private void reportPromotedReady() {
        try {
            if (!commandChannel.isOpen()) {
                return;
            }
            if (!commandChannel.send(ChannelFrame.ready(identity.pid(), identity.slot()))) {
                loop.schedule(this::reportPromotedReady, 10, TimeUnit.MILLISECONDS);
                return;
            }
        } catch (ChannelException e) {
            log.warn("cannot send READY: {}", e.getMessage());
            return;
        }
        promotionTimeline.readySent();
        // Scheduled, not queued: the connections that waited in the listener's backlog while the old worker died
        // are accepted in the event loop's next round, before the affinity of every thread and the log line.
        loop.schedule(settleAfterReady, SETTLE_AFTER_READY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * After READY: every thread moves to the slot's CPUs (the work of 0.5 to 6 ms of system calls, one per thread,
     * that no client needs to wait for), and the promoted worker says where its promotion's time went.
     */
    private void settleIntoSlot() {
        promotionTimeline.resume();
        int threads = promotionCpus.isEmpty() ? 0 : posix.setAffinityOfAllThreads(0, promotionCpus);
        promotionTimeline.step("affinity of " + threads + " threads");
        phases = promotionTimeline.toString();
        logReady();
    }

    private void applicationFailed(Throwable failure) {
        // As a fresh worker whose application cannot start: exit 2, and the master does not respawn the slot.
        log.error(io.masterwork.worker.log.Markers.EMERG, "worker init failed, exiting with status {}: the application "
                + "did not start: {}", WorkerMain.INIT_FAILED, failure.toString(), failure);
        shutdown.exit(WorkerMain.INIT_FAILED);
    }
}
