package io.masterwork.master.process;

import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.FrameException;
import io.masterwork.channel.Received;
import io.masterwork.channel.WorkerFigures;
import io.masterwork.channel.SpawnContract;
import io.masterwork.posix.Posix;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's side of the command channels: what workers say (READY, HEARTBEAT, STATUS, INIT_FAILED); anything
 * else a worker sends is refused, and a descriptor that came with it closed. At most {@link #FRAMES_PER_TURN} frames from one
 * channel per loop turn, as a worker bounds its own reads: a worker that keeps its channel full cannot hold the loop.
 * End of file (or a reset) is a worker's death notice: the master's end is closed until the exit is reaped.
 */
final class ChannelReader {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    static final int FRAMES_PER_TURN = 64;

    private final Posix posix;
    private final Watchdog watchdog;
    private final SpareWorkers spares;
    /** Told each time a worker becomes ready. */
    private final Runnable workerReady;
    /** Told each worker's figures (its STATUS answer to REPORT). */
    private final BiConsumer<WorkerSlot, WorkerFigures> figuresReported;

    ChannelReader(Posix posix, Watchdog watchdog, SpareWorkers spares, Runnable workerReady,
                  BiConsumer<WorkerSlot, WorkerFigures> figuresReported) {
        this.posix = posix;
        this.watchdog = watchdog;
        this.spares = spares;
        this.workerReady = workerReady;
        this.figuresReported = figuresReported;
    }

    void read(WorkerSlot slot) {
        read(slot.worker(), frame -> workerSaid(slot, frame));
    }

    void read(SpareWorker spare) {
        read(spare.worker, frame -> spareSaid(spare, frame));
    }

    private void read(Worker worker, Consumer<ChannelFrame> handler) {
        boolean errorSeen = false;
        for (int i = 0; i < FRAMES_PER_TURN; i++) {
            Received received;
            try {
                received = worker.channel.receive();
            } catch (ChannelException e) {
                // ECONNRESET: the worker died with frames of ours unread. The kernel reports that (once) before the
                // frames the worker sent last — its INIT_FAILED, just before it exits 2 — so read on once; a second
                // error in a row ends the channel. Its status is reaped as for an EOF.
                log.debug("channel of worker process {}: {}", worker.pid, e.getMessage());
                if (!errorSeen) {
                    errorSeen = true;
                    continue;
                }
                worker.channelClosed();
                return;
            }
            errorSeen = false;
            if (received.wouldBlock()) {
                return;
            }
            if (received.isEof()) {
                worker.channelClosed();
                return;
            }
            if (!received.isFrame()) {
                log.warn("worker process {} sent a malformed frame, dropped: {}", worker.pid, received.error().getMessage());
                continue;
            }
            ChannelFrame frame = received.frame();
            try {
                handler.accept(frame);
            } finally {
                if (frame.fd() >= 0) {
                    posix.closeQuietly(frame.fd());
                }
            }
        }
    }

    private void workerSaid(WorkerSlot slot, ChannelFrame frame) {
        long now = System.nanoTime();
        switch (frame.command()) {
            case READY -> {
                if (SpawnContract.isSpareReady(frame)) {
                    // Sent as a spare before it read its PROMOTE; the promoted worker's own READY follows.
                    log.debug("worker process {} (slot {}) reported ready as a spare, before its promotion", slot.pid(), slot.slot);
                } else if (slot.ready(now)) {
                    log.info("worker process {} (slot {}) ready in {} ms", slot.pid(), slot.slot,
                            TimeUnit.NANOSECONDS.toMillis(now - slot.worker().startedAtNanos));
                    spares.confirmRaised(slot);
                    workerReady.run();
                }
            }
            case HEARTBEAT -> watchdog.answered(slot, now);
            case STATUS -> figures(slot, frame);
            case INIT_FAILED -> initFailed(slot.worker(), frame);
            default -> refused(slot.pid(), frame);
        }
    }

    /** A STATUS payload is a worker's figures, decoded strictly: one that does not decode is dropped, never half taken. */
    private void figures(WorkerSlot slot, ChannelFrame frame) {
        WorkerFigures figures;
        try {
            figures = WorkerFigures.decode(frame.payload());
        } catch (FrameException e) {
            Worker worker = slot.worker();
            if (worker != null && !worker.badFiguresLogged) {
                worker.badFiguresLogged = true;
                log.warn("worker process {} sent figures that do not decode, dropped (and every further one, silently): {}",
                        slot.pid(), e.getMessage());
            } else {
                log.debug("worker process {} sent figures that do not decode, dropped: {}", slot.pid(), e.getMessage());
            }
            return;
        }
        figuresReported.accept(slot, figures);
    }

    private void spareSaid(SpareWorker spare, ChannelFrame frame) {
        switch (frame.command()) {
            case READY -> spares.ready(spare, System.nanoTime());
            case HEARTBEAT, STATUS -> log.debug("{} from spare worker process {}", frame.command(), spare.worker.pid);
            case INIT_FAILED -> initFailed(spare.worker, frame);
            default -> refused(spare.worker.pid, frame);
        }
    }

    /** The worker's reason for its coming exit 2; kept for the reaper (a refused reload, a start that fails). */
    private static void initFailed(Worker worker, ChannelFrame frame) {
        if (worker.initFailure == null) {
            worker.initFailure = new String(frame.payload(), StandardCharsets.UTF_8);
            log.debug("worker process {} cannot start: {}", worker.pid, worker.initFailure);
        }
    }

    private static void refused(int pid, ChannelFrame frame) {
        log.warn("worker process {} sent {}, which a worker may not send; ignored", pid, frame.command());
    }
}
