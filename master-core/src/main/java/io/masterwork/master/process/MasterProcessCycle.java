package io.masterwork.master.process;

import io.masterwork.channel.ChannelFrame;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.log.ErrorLogLevels;
import io.masterwork.master.pid.PidFile;
import io.masterwork.master.process.SlotState.Vacant;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;
import io.masterwork.posix.SignalInfo;
import io.masterwork.posix.UserInfo;
import io.masterwork.posix.WaitStatus;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's whole life, nginx's {@code ngx_master_process_cycle} read top to bottom: open the listeners, start the
 * workers, then wait for a signal or a worker's word and handle it (one {@code handle*} method per signal, as
 * gunicorn's arbiter), reap, and reconcile the table with what is desired ({@link #manageWorkers}, gunicorn's
 * {@code manage_workers}), until told to stop. The handlers only change what is desired; the reconcile step spawns,
 * retires and respawns. Everything runs on the one thread that calls {@link #run}.
 */
public final class MasterProcessCycle {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    /** TERM/INT: what is still alive this long after TERMINATE gets SIGKILL (nginx escalates too). */
    static final long TERMINATE_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    /** QUIT: workers bound themselves by worker_shutdown_timeout; past it plus this, a hung one is killed. */
    static final long QUIT_KILL_SLACK_NANOS = TimeUnit.SECONDS.toNanos(3);

    private final Posix posix;
    private final MasterConfiguration config;
    private final MasterLogFiles logFiles;
    private final InheritedListeners inheritedListeners;
    private final ProcessTable table;
    private final Listeners listeners;
    private final WorkerCommands commands;
    private final SpareWorkers spares;
    private final WorkerProcesses workers;
    private final Reaper reaper;
    private final Watchdog watchdog;
    private final ChannelReader channels;
    private final BinaryUpgrade upgrade;
    private final Extensions extensions;
    private final DesiredWorkers desired = new DesiredWorkers();
    private final Reloads reloads;
    private final MasterControl control;
    private final MemoryHeadroom memory = MemoryHeadroom.ofThisProcess();
    /** What worker_spares comes to now, worked out for {@link #allowanceFor} with {@link #allowanceWorkers} workers. */
    private SpareAllowance spareAllowance;
    private WorkerGeneration allowanceFor;
    private int allowanceWorkers;

    private boolean quitting;
    private boolean terminating;
    /** When what is still alive gets SIGKILL after QUIT or TERM, System.nanoTime(); 0 when no stop is under way. */
    private long killDeadlineNanos;
    private boolean servingAnnounced;
    /** Whether any worker of this master has said READY: until then, a worker that cannot start ends the master. */
    private boolean anyWorkerReady;
    private int exitStatus;
    private PidFile pidFile;
    /**
     * A WINCH or graceful stop that waits for the new master to name its workers, the successors of this master's
     * connections (at most {@link UpgradeChannel#SILENCE_BOUND_NANOS} after USR2); null when nothing waits.
     */
    private Runnable awaitingSuccessors;

    @Inject
    public MasterProcessCycle(Posix posix, MasterConfiguration config, MasterLogFiles logFiles,
                              InheritedListeners inheritedListeners, ProcessTable table, Set<MasterExtension> extensions) {
        this.posix = posix;
        this.config = config;
        this.logFiles = logFiles;
        this.inheritedListeners = inheritedListeners;
        this.table = table;
        this.extensions = new Extensions(List.copyOf(extensions), posix);
        this.listeners = new Listeners(posix);
        this.commands = new WorkerCommands(posix);
        Spawner spawner = new Spawner(posix);
        this.spares = new SpareWorkers(posix, spawner, commands);
        this.workers = new WorkerProcesses(posix, table, spawner, spares, commands);
        this.watchdog = new Watchdog(posix);
        this.channels = new ChannelReader(posix, watchdog, spares, this::workerReady,
                (slot, figures) -> this.extensions.announce((e, master) -> e.workerReported(master, slot, figures)));
        this.reaper = new Reaper(posix, table, spares, commands, workers, channels::read);
        this.upgrade = new BinaryUpgrade(posix, listeners, System.getenv(), this.extensions::upgradeSockets);
        this.reloads = new Reloads(posix, table, listeners, logFiles, desired, this.extensions);
        this.control = new CycleControl(this, posix, listeners, table, spares, desired, reloads);
        this.extensions.control(control);
    }

    /** Runs the master until it is stopped; returns the process exit status. */
    public int run(PidFile pidFile) {
        this.pidFile = pidFile;
        long firstGeneration = upgrade.firstGeneration();
        MasterTitle.set();
        try (MasterSignals signals = new MasterSignals(posix)) {
            UserInfo workerUser = WorkerUser.prepareForWorkers(posix, config);
            logFiles.prepareForWorkers(config, workerUser);
            List<Integer> fds = listeners.openAtStart(inheritedListeners.take(), config.listen());
            pidFile.write(posix.getpid());
            try {
                desired.serve(new WorkerGeneration(firstGeneration, config, workerUser, fds));
                manageWorkers();
                extensions.announce(MasterExtension::started);
                masterLoop(signals);
            } finally {
                listeners.closeAll();
                workers.killRemaining();
                if (!upgrade.handedOver()) {
                    pidFile.remove();
                }
                extensions.announce(MasterExtension::stopped);
            }
        }
        log.info("exit");
        return exitStatus;
    }

    private void masterLoop(MasterSignals signals) {
        for (;;) {
            for (int fd : poll(signals)) {
                if (fd == signals.fd()) {
                    Guard.run("signals", () -> signals.drain().forEach(s -> Guard.run("signal " + s.number(), () -> dispatch(s))));
                } else {
                    Guard.run("descriptor " + fd, () -> readable(fd));
                }
            }
            extensions.runTimers();
            Guard.run("reaping", this::reapChildren);
            Guard.run("the upgrade", this::reapNewMaster);
            Guard.run("reloading", reloads::progress);
            Guard.run("managing the workers", this::manageWorkers);
            Guard.run("announcing a commit", reloads::announceCommit);
            Guard.run("spares", () -> spares.manage(desired.serving(), sparesWanted(), noWorkerStarting(), System.nanoTime()));
            Guard.run("the watchdog", () -> watchdog.watch(table.occupied(), stopping() ? Optional.empty()
                    : desired.serving().config.workerWatchdogTimeout(), System.nanoTime()));
            Guard.run("sibling news", () -> commands.flushQueuedNews(table.occupied(), System.nanoTime()));
            Guard.run("the upgrade channel", this::nameWorkersToPeer);
            Guard.run("the upgrade's successors", this::retireOnceSuccessorsKnown);
            if (killDeadlineNanos != 0 && System.nanoTime() - killDeadlineNanos >= 0) {
                killDeadlineNanos = 0;
                Guard.run("killing", workers::killRemaining);
            }
            if (stopping() && workers.noneRunning()) {
                return;
            }
        }
    }

    /**
     * Waits for the signalfd, a worker's channel or an extension's descriptor, until the nearest timer. A poll that
     * fails (POLLNVAL: an extension handed a descriptor that is not open) is logged and the loop goes on without that
     * descriptor.
     */
    private List<Integer> poll(MasterSignals signals) {
        try {
            return posix.pollReadable(watchedDescriptors(signals), pollTimeoutMillis());
        } catch (RuntimeException e) {
            log.error("poll failed: {}", e.getMessage());
            if (!extensions.dropDescriptorsNotOpen()) {
                sleepAfterFailedPoll();
            }
            return List.of();
        }
    }

    private void readable(int fd) {
        UpgradeChannel peer = upgrade.peer();
        if (peer != null && fd == peer.fd()) {
            peerNews(peer);
            return;
        }
        WorkerSlot slot = table.byChannelFd(fd);
        SpareWorker spare = slot == null ? spares.byChannelFd(fd) : null;
        if (slot != null) {
            channels.read(slot);
        } else if (spare != null) {
            channels.read(spare);
        } else {
            extensions.readable(fd);
        }
    }

    // ---- signals: one handler each ---------------------------------------------------------------------------

    private void dispatch(SignalInfo info) {
        Signal signal = info.signal();
        if (signal != Signal.CHLD && signal != Signal.IO) {
            log.info("signal {} ({}) received from {}", info.number(), signal == null ? "?" : signal.fullName(), info.senderPid());
        }
        if (signal == null) {
            return;
        }
        switch (signal) {
            case CHLD, IO -> {
                // Only wake-ups: reaping follows every batch of events, and SIGIO is how FIOASYNC channels say "readable".
            }
            case QUIT -> handleQuit();
            case TERM, INT -> handleTerminate();
            case USR1 -> handleUsr1();
            case HUP -> handleHup();
            case TTIN -> handleTtin();
            case TTOU -> handleTtou();
            case USR2 -> handleUsr2();
            case WINCH -> handleWinch();
            default -> log.warn("unexpected signal {}", signal.fullName());
        }
    }

    /** Reload: a new generation with the re-read configuration, then the old one drains. */
    void handleHup() {
        if (stopping()) {
            return;
        }
        if (desired.retired()) {
            // After WINCH (an upgrade's rollback, as nginx): the workers come back with this master's own configuration.
            log.info("starting the workers again with this master's configuration (generation {})", desired.serving().number);
            desired.unretire();
        } else {
            reloads.request();
        }
    }

    /** Graceful stop: workers finish what they serve, then the master exits. */
    void handleQuit() {
        if (stopping()) {
            return;
        }
        Runnable quit = () -> stop(true, "gracefully shutting down", ChannelFrame.quit(),
                desired.serving().config.workerShutdownTimeout().toNanos() + QUIT_KILL_SLACK_NANOS);
        if (!awaitSuccessors("QUIT", quit)) {
            quit.run();
        }
    }

    /** Fast stop: workers exit now; whatever is alive after a second is killed. A QUIT under way is cut short. */
    void handleTerminate() {
        if (!terminating) {
            stop(false, "exiting", ChannelFrame.terminate(), TERMINATE_GRACE_NANOS);
        }
    }

    private void stop(boolean graceful, String message, ChannelFrame frame, long killAfterNanos) {
        awaitingSuccessors = null;
        reloads.stop();
        log.info(message);
        extensions.announce((e, master) -> e.stopping(master, graceful));
        quitting |= graceful;
        terminating |= !graceful;
        desired.stop();
        // A graceful stop during an upgrade hands the connections to the other master's workers, as a reload would.
        workers.signalAll(frame, graceful && desired.serving().config.connectionHandover() ? upgrade.peer() : null);
        listeners.closeAll();
        killDeadlineNanos = System.nanoTime() + killAfterNanos;
    }

    /**
     * Reopen the logs: the master recreates them (owned by the worker user), then every worker reopens by path —
     * draining ones too, as nginx's: they still write the access log until their last request is done.
     */
    void handleUsr1() {
        logFiles.reopen(desired.serving().config, desired.serving().workerUser);
        log.info("logs reopened");
        workers.reopenAll();
    }

    /** One worker more, as gunicorn and unicorn do; a reload applies worker_processes again. */
    private void handleTtin() {
        setWorkerCount(desired.count() + 1);
    }

    /** One worker fewer, retired gracefully; never below one. */
    private void handleTtou() {
        if (desired.count() <= 1) {
            log.warn("TTOU ignored: masterwork never runs fewer than one worker");
            return;
        }
        setWorkerCount(desired.count() - 1);
    }

    /** TTIN, TTOU and the control socket's {@code workers N}: the serving generation's count until the next reload. */
    void setWorkerCount(int n) {
        if (stopping()) {
            return;
        }
        if (n < 1 || n > table.capacity()) {
            throw new IllegalArgumentException("the worker count must be between 1 and " + table.capacity() + ", got " + n);
        }
        int current = table.staying(desired.serving()).size();
        if (n - current > table.free()) {
            throw new IllegalArgumentException("the process table has " + table.free() + " free slots, "
                    + (n - current) + " more workers need them");
        }
        log.info("worker count {} -> {} (generation {})", current, n, desired.serving().number);
        desired.setCount(n);
    }

    /**
     * Binary upgrade, nginx's USR2: the pid file becomes .oldbin, and a new master from the newest build starts with
     * the listening sockets (and nothing else); both serve until WINCH and QUIT retire this one.
     */
    private void handleUsr2() {
        if (!stopping() && upgrade.start(pidFile.path(), desired.serving().config.controlSocket().orElse(null),
                desired.serving().number)) {
            int newMaster = upgrade.newMasterPid();
            extensions.announce((e, master) -> e.upgradeStarted(master, newMaster));
        }
    }

    /** nginx's WINCH: the workers quit gracefully; the master stays (with its listeners) for a rollback. */
    private void handleWinch() {
        if (stopping()) {
            return;
        }
        if (!upgrade.inProgress() && hasControllingTerminal()) {
            // A terminal resize sends WINCH too: outside an upgrade, a foreground master ignores it (as nginx).
            log.info("WINCH ignored: no upgrade is in progress and this master has a controlling terminal");
            return;
        }
        if (awaitingSuccessors != null) {
            return;
        }
        Runnable winch = () -> {
            log.info("gracefully shutting down the worker processes (WINCH)");
            if (reloads.underway() != null) {
                reloads.rollback("the workers were told to quit (WINCH)");
            }
            desired.retire();
        };
        if (!awaitSuccessors("WINCH", winch)) {
            winch.run();
        }
    }

    /**
     * An old master whose new master has not named its workers yet holds {@code retirement} back until it does, or
     * until {@link UpgradeChannel#SILENCE_BOUND_NANOS} after USR2 (a new master of a build without the upgrade channel
     * never will): its workers' connections then move to the new master's workers instead of ending. True when held.
     */
    private boolean awaitSuccessors(String what, Runnable retirement) {
        UpgradeChannel peer = upgrade.peer();
        long now = System.nanoTime();
        if (peer == null || !desired.serving().config.connectionHandover() || !peer.awaitingPeerWorkers(now)) {
            return false;
        }
        log.info("{}: waiting up to {} ms for the new master to name its workers, the successors of this master's "
                + "connections", what, TimeUnit.NANOSECONDS.toMillis(peer.silenceDeadlineNanos() - now));
        awaitingSuccessors = retirement;
        return true;
    }

    /** Runs the held-back WINCH or stop once the new master named its workers, or spoke not within the bound. */
    private void retireOnceSuccessorsKnown() {
        if (awaitingSuccessors == null) {
            return;
        }
        UpgradeChannel peer = upgrade.peer();
        if (peer != null && peer.awaitingPeerWorkers(System.nanoTime())) {
            return;
        }
        Runnable retirement = awaitingSuccessors;
        awaitingSuccessors = null;
        retirement.run();
    }

    /** Names this master's serving workers to the other master of an upgrade (none once they retire or stop). */
    private void nameWorkersToPeer() {
        UpgradeChannel peer = upgrade.peer();
        if (peer != null) {
            peer.name(stopping() || desired.retired() ? List.of() : table.staying(desired.serving()));
        }
    }

    /** The other master named or lost workers, or exited: the workers draining towards it hear of it. */
    private void peerNews(UpgradeChannel peer) {
        UpgradeChannel.News news = peer.read();
        List<ChannelFrame> frames = new ArrayList<>(news.frames());
        if (news.closed()) {
            frames.addAll(upgrade.closePeer());
        }
        commands.passPeerNews(frames, upgrade.peer(), table.occupied());
    }

    private boolean hasControllingTerminal() {
        try {
            posix.close(posix.open("/dev/tty", OpenFlags.RDONLY | OpenFlags.NOCTTY, 0));
            return true;
        } catch (PosixException e) {
            return false;
        }
    }

    /** The new master is our child: when it exits while we run, the upgrade is rolled back. */
    private void reapNewMaster() {
        if (upgrade.reapNewMaster()) {
            commands.passPeerNews(upgrade.closePeer(), null, table.occupied());
            if (desired.retired() && !stopping()) {
                handleHup(); // nobody would serve otherwise
            }
            extensions.announce(MasterExtension::upgradeRolledBack);
        }
    }

    // ---- reaping and the reconcile step ----------------------------------------------------------------------

    /** nginx's ngx_reap_children; the extensions hear of each exit, and too many crashes stop the master. */
    private void reapChildren() {
        Reaper.Reaping reaped = reaper.reap(desired, reloads.underway(), stopping());
        for (int i = 0; i < reaped.slots().size(); i++) {
            WorkerSlot slot = reaped.slots().get(i);
            WaitStatus status = reaped.statuses().get(i);
            extensions.announce((e, master) -> e.workerExited(master, slot, status));
        }
        if (reaped.crashLimitReached()) {
            exitStatus = 1;
            handleTerminate();
        }
        if (!anyWorkerReady && !stopping() && !reaped.fatalFailures().isEmpty()) {
            // The first generation cannot start (its application refused its settings or failed to start: status 2,
            // never respawned): a master listening with no worker would leave every client hanging. As a reload is
            // rolled back, the start fails, with the application's reason.
            log.error(ErrorLogLevels.EMERG, "no worker of generation {} could start, the master exits: {}",
                    desired.serving().number, reaped.fatalFailures().get(0));
            exitStatus = 1;
            handleTerminate();
        }
    }

    /**
     * The reconcile step, gunicorn's {@code manage_workers}: each generation that is desired gets the slots it lacks
     * and loses those beyond its count (the newest first); every slot of a generation no longer desired is retired;
     * every vacant slot whose respawn is due is spawned into. A reload's new generation that cannot be started fails.
     */
    private void manageWorkers() {
        WorkerGeneration serving = desired.serving();
        List<WorkerSlot> servingStays = table.staying(serving);
        List<WorkerSlot> successors = servingStays.subList(0, Math.min(desired.countFor(serving), servingStays.size()));
        List<WorkerGeneration> wanted = desired.trial() == null ? List.of(serving) : List.of(serving, desired.trial());
        for (WorkerGeneration generation : wanted) {
            List<WorkerSlot> staying = table.staying(generation);
            int count = desired.countFor(generation);
            if (staying.size() < count) {
                failTrial(generation, workers.start(generation, count - staying.size()));
            }
            for (int i = staying.size() - 1; i >= count; i--) {
                workers.retire(staying.get(i), successors, serving, upgrade.peer());
            }
        }
        for (WorkerSlot slot : table.occupied()) {
            if (!slot.isExiting() && !wanted.contains(slot.generation)) {
                workers.retire(slot, successors, serving, upgrade.peer());
            }
        }
        long now = System.nanoTime();
        for (WorkerSlot slot : stopping() ? List.<WorkerSlot>of() : table.occupied()) {
            if (slot.current() instanceof Vacant vacant && now - vacant.spawnDueNanos() >= 0) {
                failTrial(slot.generation, workers.spawnInto(slot));
            }
        }
    }

    /** A reload's worker that cannot be started (a reason, or null when it could) rolls the reload back. */
    private void failTrial(WorkerGeneration generation, String failure) {
        Reload reload = reloads.underway();
        if (failure != null && reload != null && generation == reload.next) {
            reload.failed(failure);
        }
    }

    private void workerReady() {
        anyWorkerReady = true;
        announceServingOnce();
    }

    private void announceServingOnce() {
        if (servingAnnounced || !table.staying(desired.serving()).stream().allMatch(WorkerSlot::hasSaidReady)) {
            return;
        }
        servingAnnounced = true;
        log.info("serving: {} workers of generation {} ready", table.running().size(), desired.serving().number);
        extensions.announce(MasterExtension::serving);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    boolean stopping() {
        return quitting || terminating;
    }

    private int sparesWanted() {
        return stopping() || desired.retired() ? 0 : spareAllowance().count();
    }

    /**
     * How many spares the serving generation keeps, and why: worked out again (auto reads the memory then) when the
     * serving generation or its worker count changes — at start, at a reload's commit, on TTIN/TTOU — and logged in
     * one line when the number changes.
     */
    SpareAllowance spareAllowance() {
        WorkerGeneration serving = desired.serving();
        int workers = desired.count();
        if (spareAllowance == null || allowanceFor != serving || allowanceWorkers != workers) {
            SpareAllowance next = SpareAllowance.of(serving.config.workerSpares(), workers, memory, spares.usable().size());
            if (spareAllowance == null || spareAllowance.count() != next.count()) {
                log.info("spare workers: {} ({})", next.count(), next.reason());
            }
            spareAllowance = next;
            allowanceFor = serving;
            allowanceWorkers = workers;
        }
        return spareAllowance;
    }

    /** No worker JVM of the serving generation is starting and no reload is under way: a spare may start now. */
    private boolean noWorkerStarting() {
        return reloads.underway() == null
                && table.staying(desired.serving()).stream().noneMatch(s -> s.state() == WorkerState.STARTING);
    }

    private int[] watchedDescriptors(MasterSignals signals) {
        List<Integer> fds = new ArrayList<>();
        fds.add(signals.fd());
        fds.addAll(workers.channelDescriptors());
        fds.addAll(extensions.descriptors());
        if (upgrade.peer() != null) {
            fds.add(upgrade.peer().fd());
        }
        return fds.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Until the nearest timer (a respawn due, a kill or reload deadline, the watchdog, sibling news to retry, a spare
     * to start or to raise, an extension's), or forever: signals (CHLD included) and channel EOFs wake the poll, so an
     * idle master costs no CPU.
     */
    private int pollTimeoutMillis() {
        long now = System.nanoTime();
        long next = earlier(workers.nextDeadlineNanos(now), spares.nextDeadlineNanos(sparesWanted()));
        next = earlier(next, killDeadlineNanos == 0 ? Long.MAX_VALUE : killDeadlineNanos);
        next = earlier(next, reloads.underway() == null ? Long.MAX_VALUE : reloads.underway().deadlineNanos);
        if (!stopping()) {
            next = earlier(next, watchdog.nextDeadlineNanos(table.occupied(), desired.serving().config.workerWatchdogTimeout(), now));
        }
        next = earlier(next, WorkerCommands.nextNewsRetryNanos(table.occupied()));
        next = earlier(next, extensions.nextTimerNanos());
        if (awaitingSuccessors != null && upgrade.peer() != null) {
            next = earlier(next, upgrade.peer().silenceDeadlineNanos());
        }
        return next == Long.MAX_VALUE ? -1
                : (int) Math.min(Integer.MAX_VALUE, Math.max(0, TimeUnit.NANOSECONDS.toMillis(next - now + 999_999)));
    }

    /** The earlier of two System.nanoTime() instants, Long.MAX_VALUE meaning "none". */
    static long earlier(long a, long b) {
        if (a == Long.MAX_VALUE) {
            return b;
        }
        return b == Long.MAX_VALUE || a - b < 0 ? a : b;
    }

    private static void sleepAfterFailedPoll() {
        try {
            Thread.sleep(100); // whatever failed may fail again at once: no busy loop meanwhile
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For the control socket and tests: the table as it is now. */
    public ProcessTable processTable() {
        return table;
    }
}
