package io.masterwork.worker;

import io.masterwork.api.WorkerIdentity;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.FrameException;
import io.masterwork.channel.Promotion;
import io.masterwork.channel.SpawnContract;
import io.masterwork.posix.Posix;
import io.masterwork.posix.ProcessAge;
import io.masterwork.posix.ProcessTitle;
import io.masterwork.worker.log.Markers;
import io.masterwork.worker.log.WorkerLogging;
import io.netty.channel.IoEventLoop;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A spare worker's side of {@code worker_spares} (docs/ARCHITECTURE.md): initialised and rehearsed, it says READY
 * with the payload "spare" and waits; on PROMOTE it becomes the worker of the frame's slot — the configuration the
 * frame carries onto fd 5, the title shortened in place, the application started (only now are the listeners
 * registered for accept), READY as a fresh worker's, then the slot's CPUs. Every step of the promotion runs on the
 * event loop, and is timed (PromotionTimeline) for the promoted worker's ready line.
 */
final class SparePromotion {
    private static final Logger log = LoggerFactory.getLogger(SparePromotion.class);
    /** How long a promoted worker lets the event loop accept before the steps that follow its READY. */
    static final long SETTLE_AFTER_READY_MILLIS = 5;

    private final WorkerProcess worker;
    private final Posix posix;
    /** The argv area, opened before the credentials change (then /proc/self/mem is no longer ours to write). */
    private ProcessTitle.Rewriter titleRewriter;
    /** The configuration as the master rendered it: a PROMOTE carrying the same bytes needs no parse. */
    private byte[] spareConfigBytes;
    /** The inbox, registered with the event loop but watched only once promoted. */
    private ChannelWatch inbox;
    private IoEventLoop loop;
    private boolean promoted;
    /**
     * The promotion's continuations, made before it: the first evaluation of a lambda or method reference links its
     * call site and spins a class, 1 to 4 ms measured inside a promotion, before READY or the first accept.
     */
    private BiConsumer<Void, Throwable> continueAfterApplicationStart;
    private Runnable settleAfterReady;
    private BitSet cpus;
    private PromotionTimeline timeline;

    /** Called before the worker's init: the title can be rewritten only while this process may write its own memory. */
    SparePromotion(WorkerProcess worker, Posix posix) {
        this.worker = worker;
        this.posix = posix;
        this.titleRewriter = ProcessTitle.rewriter();
    }

    /**
     * Before the command channel is watched: a PROMOTE (or QUIT) sent meanwhile waits in the socket until the
     * rehearsal is over, so nothing the rehearsal does (affinity, title) can race with a promotion.
     */
    void rehearse(IoEventLoop loop, WorkerConfiguration config, WorkerIdentity identity) {
        this.loop = loop;
        spareConfigBytes = WorkerConfiguration.readDescriptorBytes(SpawnContract.CONFIG_FD);
        if (commandWaiting()) {
            // Promoted (or told to exit) while still starting — a reload or a respawn that found no ready spare: a
            // client or a reload waits for this worker now, and the rehearsal (hundreds of ms) would only make a
            // later promotion faster. Its first requests run colder instead.
            log.info("spare rehearsal not run: its promotion (or exit) already waits on the command channel");
        } else {
            new SpareRehearsal(posix, loop, config, identity).run();
        }
        if (titleRewriter != null) {
            titleRewriter.set(SpawnContract.SPARE_TITLE);
        }
        // The "worker ready" line's /proc reads, run once now: cold, such code cost a promotion milliseconds.
        ProcessAge.millis();
    }

    /** Whether the master has written to the command channel (PROMOTE, QUIT) or closed it; read later, in order. */
    private boolean commandWaiting() {
        try {
            return !posix.pollReadable(new int[] {SpawnContract.CHANNEL_FD}, 0).isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The inbox, registered now and watched from the promotion on: what the promotion does with it is then one
     * epoll_ctl, and no sibling writes to a spare's inbox before (the master announces it only with its promotion).
     */
    void holdInbox(ChannelWatch registered) {
        inbox = registered;
        continueAfterApplicationStart = this::applicationStarted;
        settleAfterReady = this::settleIntoSlot;
    }

    /** READY with the payload "spare": initialised, waiting for PROMOTE, not serving. Never after a promotion. */
    void reportSpareReady(WorkerIdentity identity, String phases) {
        if (promoted) {
            return;
        }
        if (worker.sendReady(SpawnContract.spareReady(identity.pid(), identity.slot()), () -> reportSpareReady(identity, phases))) {
            log.info("spare worker ready: spare {} generation {}, {} listener(s) held, not accepting ({} ms after main: {})",
                    identity.slot(), identity.generation(), worker.listenerCount(), worker.millisSinceMain(), phases);
        }
    }

    /**
     * PROMOTE: this spare becomes the worker of the frame's slot. The slot's CPUs are applied to every thread after
     * READY (see {@link #settleIntoSlot}): they matter for throughput, not for the first accept.
     */
    void promote(ChannelFrame frame) {
        PromotionTimeline steps = new PromotionTimeline(System.nanoTime());
        if (promoted) {
            log.warn("dropped PROMOTE for slot {}: this worker is already promoted", frame.slot());
            worker.closeDescriptor(frame);
            return;
        }
        Promotion promotion;
        try {
            promotion = Promotion.of(frame);
        } catch (FrameException e) {
            // Not obeyed; but the master has moved this process into the slot already and waits for its READY (a
            // reload until its deadline): it hears why at once, and the slot gets a fresh worker.
            worker.closeDescriptor(frame);
            promotionFailed("a malformed PROMOTE: " + e.getMessage());
            return;
        }
        promoted = true;
        WorkerConfiguration spareConfig = worker.config();
        Optional<Path> spareErrorLog = spareConfig.errorLogPath();
        try {
            posix.dup2(frame.fd(), SpawnContract.CONFIG_FD);
            posix.closeQuietly(frame.fd());
            if (!WorkerConfiguration.holdsExactly(posix, SpawnContract.CONFIG_FD, spareConfigBytes)) {
                // A reload's configuration; a dead worker's slot in the spare's own generation has the same bytes.
                byte[] bytes = WorkerConfiguration.readDescriptorBytes(SpawnContract.CONFIG_FD);
                worker.takeConfiguration(WorkerConfiguration.parse(new String(bytes, StandardCharsets.UTF_8),
                        "configuration on descriptor " + SpawnContract.CONFIG_FD));
                try {
                    worker.checkApplicationSettings(); // a reload's sections, checked as a fresh worker checks them
                } catch (WorkerInitException e) {
                    spareConfigBytes = null;
                    applicationFailed(e.getMessage(), null);
                    return;
                }
            }
            spareConfigBytes = null;
        } catch (RuntimeException e) {
            promotionFailed("cannot take the configuration of PROMOTE: " + e);
            return;
        }
        steps.step("configuration");
        WorkerConfiguration config = worker.config();
        WorkerLogging.applyLevel(config.errorLogLevel());
        if (!config.errorLogPath().equals(spareErrorLog)) {
            worker.reopenErrorLog();
        }
        boolean titled = titleRewriter != null && titleRewriter.set(SpawnContract.WORKER_TITLE);
        if (titleRewriter != null) {
            titleRewriter.close();
            titleRewriter = null;
        }
        if (!titled) {
            log.warn("cannot set the process title to \"{}\"", SpawnContract.WORKER_TITLE);
        }
        steps.step("log level and title");

        CompletionStage<Void> started;
        try {
            started = worker.startApplicationOnLoop(worker.serveIn(frame.slot(), promotion.generation()));
        } catch (Throwable e) {
            applicationFailed(e);
            return;
        }
        steps.step("application start");
        cpus = promotion.cpus();
        timeline = steps;
        started.whenComplete(continueAfterApplicationStart);
    }

    private void applicationStarted(Void ok, Throwable failure) {
        if (!loop.inEventLoop()) {
            // An application that is ready when start returns (the built-in one) goes on at once, on the event loop;
            // one whose start completes elsewhere is brought back to the loop.
            loop.execute(() -> applicationStarted(ok, failure));
            return;
        }
        if (failure != null) {
            applicationFailed(failure);
            return;
        }
        inbox.watchReadable();
        reportPromotedReady();
    }

    /** READY for the slot, then (a moment later) the slot's CPUs and the "worker ready" line. */
    private void reportPromotedReady() {
        WorkerIdentity identity = worker.identity();
        if (!worker.sendReady(ChannelFrame.ready(identity.pid(), identity.slot()), this::reportPromotedReady)) {
            return;
        }
        timeline.readySent();
        // Scheduled, not queued: the connections that waited in the listener's backlog while the old worker died
        // are accepted in the event loop's next round, before the affinity of every thread and the log line.
        loop.schedule(settleAfterReady, SETTLE_AFTER_READY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * After READY: every thread moves to the slot's CPUs (the work of 0.5 to 6 ms of system calls, one per thread,
     * that no client needs to wait for), and the promoted worker says where its promotion's time went.
     */
    private void settleIntoSlot() {
        timeline.resume();
        int threads = cpus.isEmpty() ? 0 : posix.setAffinityOfAllThreads(0, cpus);
        timeline.step("affinity of " + threads + " threads");
        worker.logReady(timeline.toString());
    }

    /**
     * A promotion that cannot go on: INIT_FAILED with the reason, then exit 1, as a fresh worker whose init failed
     * before its application (the master respawns the slot with its backoff). Never left waiting as a spare that
     * the master counts as a starting worker.
     */
    void promotionFailed(String reason) {
        promoted = true;
        log.error(Markers.EMERG, "promotion failed, exiting with status 1: {}", reason);
        worker.reportInitFailure(reason);
        worker.exit(1);
    }

    private void applicationFailed(Throwable failure) {
        applicationFailed("the application did not start: " + failure, failure);
    }

    private void applicationFailed(String reason, Throwable failure) {
        // As a fresh worker whose application cannot start: exit 2, and the master does not respawn the slot.
        log.error(Markers.EMERG, "worker init failed, exiting with status {}: {}", SpawnContract.EXIT_FATAL, reason, failure);
        worker.reportInitFailure(reason);
        worker.exit(SpawnContract.EXIT_FATAL);
    }
}
