package io.masterwork.master.process;

import io.masterwork.master.process.MasterControl.ReloadOutcome;
import io.masterwork.posix.Posix;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads over the master's life: the one under way (a {@link Reload}) started, committed or rolled back — which only
 * changes what {@link DesiredWorkers} wants —, a HUP that comes meanwhile queued, the generation the last commit is
 * retiring and who waits for it to be gone, and the counts the status reports.
 */
final class Reloads {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    private final Posix posix;
    private final ProcessTable table;
    private final Listeners listeners;
    private final MasterLogFiles logFiles;
    private final DesiredWorkers desired;
    private final Extensions extensions;
    private final List<Consumer<ReloadOutcome>> asking = new ArrayList<>();
    private final List<Consumer<ReloadOutcome>> awaitingCompletion = new ArrayList<>();
    private Reload underway;
    private boolean queued;
    /** The generation a committed reload is retiring, until its last worker is gone. */
    private WorkerGeneration retiring;
    private long retiringSinceNanos;
    private long committed;
    private long failed;
    private String lastResult = "none";

    Reloads(Posix posix, ProcessTable table, Listeners listeners, MasterLogFiles logFiles, DesiredWorkers desired,
            Extensions extensions) {
        this.posix = posix;
        this.table = table;
        this.listeners = listeners;
        this.logFiles = logFiles;
        this.desired = desired;
        this.extensions = extensions;
    }

    /** The reload under way, or null. */
    Reload underway() {
        return underway;
    }

    /** Someone (the control socket) asks for the next reload and waits for its outcome. */
    void ask(Consumer<ReloadOutcome> requester) {
        asking.add(requester);
    }

    /** A commit made this turn, announced after the reconcile step ({@link #announceCommit}). */
    private boolean commitToAnnounce;

    /** HUP: a new generation with the re-read configuration; during a reload, queued, not lost (the file may have changed again). */
    void request() {
        if (underway != null) {
            log.info("a reload is in progress; this one follows it");
            queued = true;
            return;
        }
        log.info("reconfiguring");
        List<Consumer<ReloadOutcome>> requesters = new ArrayList<>(asking);
        asking.clear();
        try {
            underway = Reload.start(desired.serving(), table, listeners, logFiles, posix, requesters);
        } catch (Reload.Rejected e) {
            rejected(e.getMessage(), requesters);
            return;
        }
        desired.startTrial(underway.next);
        extensions.announce(MasterExtension::reloadStarted);
        int next = underway.next.config.workerProcesses();
        if (desired.countOverridden() && desired.count() != next) {
            log.info("the reload applies worker_processes = {} again (TTIN/TTOU had set {})", next, desired.count());
        }
    }

    /** Commits or rolls back the reload under way, and notices when the retired generation is gone. */
    void progress() {
        if (underway != null) {
            if (underway.failure() != null) {
                rollback(underway.failure());
            } else if (underway.allReady(table, desired.countFor(underway.next))) {
                commit();
            } else if (underway.overdue(System.nanoTime())) {
                rollback("the new workers were not ready within "
                        + underway.next.config.workerReadyTimeout().toSeconds() + " s (worker_ready_timeout)");
            }
        }
        if (retiring != null && table.running().stream().noneMatch(s -> s.generation == retiring)) {
            String message = "generation " + desired.serving().number + " serving, generation " + retiring.number + " gone "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - retiringSinceNanos) + " ms after the reload began";
            log.info("reload complete: {}", message);
            retiring = null;
            tell(awaitingCompletion, new ReloadOutcome(true, desired.serving().number, message));
            extensions.announce(MasterExtension::reloadCompleted);
        }
    }

    private void commit() {
        Reload done = underway;
        underway = null;
        desired.serve(done.next);
        listeners.retainOnly(done.next.config.listen());
        retiring = done.previous;
        retiringSinceNanos = done.startedNanos;
        awaitingCompletion.addAll(done.requesters);
        committed++;
        lastResult = "ok";
        // Logged before it is announced: whoever hears READY=1 (systemd, a control client) finds the line in the log.
        log.info("generation {} serving with {} workers after {} ms; generation {} is quitting", done.next.number,
                table.staying(done.next).size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - done.startedNanos),
                done.previous.number);
        commitToAnnounce = true;
        startQueued();
    }

    /**
     * After the reconcile step: a commit is announced (systemd's READY=1, the control socket's answer) only once the
     * old generation has been sent QUIT, so whoever hears it and connects meets the new generation, not an old worker
     * that has not yet been told to stop accepting.
     */
    void announceCommit() {
        if (commitToAnnounce) {
            commitToAnnounce = false;
            extensions.announce(MasterExtension::reloadCommitted);
        }
    }

    /** The reload under way is given up: its generation is wanted no more, the old one goes on serving. */
    void rollback(String reason) {
        Reload rolledBack = underway;
        underway = null;
        desired.abandonTrial();
        rejected(reason, rolledBack.requesters);
        listeners.retainOnly(rolledBack.previous.config.listen());
        startQueued();
    }

    private void startQueued() {
        if (queued) {
            queued = false;
            request();
        }
    }

    /** A reload that did not happen: nothing changed, the old generation goes on serving. */
    private void rejected(String reason, List<Consumer<ReloadOutcome>> requesters) {
        log.error("reload failed, generation {} goes on serving: {}", desired.serving().number, reason);
        failed++;
        lastResult = reason;
        tell(requesters, new ReloadOutcome(false, desired.serving().number, reason));
        extensions.announce((e, master) -> e.reloadFailed(master, reason));
    }

    /** The master stops: nobody's reload will happen or complete. */
    void stop() {
        List<Consumer<ReloadOutcome>> all = new ArrayList<>(asking);
        asking.clear();
        if (underway != null) {
            all.addAll(underway.requesters);
            underway = null;
        }
        all.addAll(awaitingCompletion);
        awaitingCompletion.clear();
        queued = false;
        tell(all, new ReloadOutcome(false, desired.serving().number, "the master is shutting down"));
    }

    boolean reloading() {
        return underway != null || retiring != null;
    }

    long committed() {
        return committed;
    }

    long failed() {
        return failed;
    }

    String lastResult() {
        return lastResult;
    }

    private static void tell(List<Consumer<ReloadOutcome>> requesters, ReloadOutcome outcome) {
        List<Consumer<ReloadOutcome>> copy = new ArrayList<>(requesters);
        requesters.clear();
        for (Consumer<ReloadOutcome> requester : copy) {
            Guard.run("a reload requester", () -> requester.accept(outcome));
        }
    }
}
