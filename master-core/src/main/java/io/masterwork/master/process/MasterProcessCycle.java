package io.masterwork.master.process;

import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Received;
import io.masterwork.channel.SpawnContract;
import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.ConfigurationException;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.pid.PidFile;
import io.masterwork.master.process.MasterControl.ReloadOutcome;
import io.masterwork.master.process.SlotState.Vacant;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;
import io.masterwork.posix.SignalInfo;
import io.masterwork.posix.UserInfo;
import jakarta.inject.Inject;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
    /** Frames taken from one worker's channel per turn, as a worker bounds its own: a flood starves nothing else. */
    static final int FRAMES_PER_TURN = 64;
    /** An exited worker's channel said EOF before the kernel had its status: look again this soon, CHLD or not. */
    static final long UNREAPED_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Posix posix;
    private final MasterConfiguration config;
    private final MasterLogFiles logFiles;
    private final InheritedListeners inheritedListeners;
    private final ProcessTable table;
    private final Listeners listeners;
    private final Spawner spawner;
    private final WorkerCommands commands;
    private final SpareWorkers spares;
    private final Reaper reaper;
    private final CrashAccounting crashes = new CrashAccounting();
    private final Watchdog watchdog;
    private final BinaryUpgrade upgrade;
    private final Extensions extensions;
    private final Reloads reloads = new Reloads();
    private final MasterControl control = new CycleControl();
    private final long startedAtMillis = System.currentTimeMillis();

    private DesiredWorkers desired;
    private Reload reload;
    private boolean reloadQueued;
    private boolean quitting;
    private boolean terminating;
    /** When what is still alive gets SIGKILL after QUIT or TERM, System.nanoTime(); 0 when no stop is under way. */
    private long killDeadlineNanos;
    private boolean servingAnnounced;
    private int exitStatus;
    private PidFile pidFile;

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
        this.spawner = new Spawner(posix);
        this.commands = new WorkerCommands(posix);
        this.spares = new SpareWorkers(posix, spawner, commands);
        this.reaper = new Reaper(posix);
        this.watchdog = new Watchdog(posix);
        this.upgrade = new BinaryUpgrade(posix, listeners, System.getenv());
    }

    /** Runs the master until it is stopped; returns the process exit status. */
    public int run(PidFile pidFile) {
        this.pidFile = pidFile;
        long firstGeneration = upgrade.firstGeneration();
        MasterTitle.set();
        try (MasterSignals signals = new MasterSignals(posix)) {
            UserInfo workerUser = WorkerUser.resolve(posix, config);
            logFiles.prepareForWorkers(config, workerUser);
            List<Integer> fds = openListeningSockets();
            pidFile.write(posix.getpid());
            try {
                desired = new DesiredWorkers(new WorkerGeneration(firstGeneration, config, workerUser, fds));
                manageWorkers();
                extensions.announce(e -> e.started(control));
                masterLoop(signals);
            } finally {
                listeners.closeAll();
                killRemaining();
                if (!upgrade.handedOver()) {
                    pidFile.remove();
                }
                extensions.announce(e -> e.stopped(control));
            }
        }
        log.info("exit");
        return exitStatus;
    }

    /** Sockets handed over (systemd, an old master) first, then every other address of {@code listen} bound. */
    private List<Integer> openListeningSockets() {
        Map<InetSocketAddress, Integer> inherited = inheritedListeners.take();
        for (InetSocketAddress address : listeners.adopt(inherited, config.listen())) {
            log.info("using the inherited listening socket for {}", address);
        }
        if (inherited.size() > listeners.byAddress().size()) {
            log.warn("{} inherited listening socket(s) not named by \"listen\" were closed",
                    inherited.size() - listeners.byAddress().size());
        }
        List<Integer> fds = listeners.openAll(config.listen());
        listeners.byAddress().forEach((address, fd) -> log.info("listening on {} (fd {})", posix.localAddress(fd), fd));
        return fds;
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
            extensions.runTimers(control);
            Guard.run("reaping", this::reapChildren);
            Guard.run("the upgrade", this::reapNewMaster);
            Guard.run("reloading", this::progressReload);
            Guard.run("managing the workers", this::manageWorkers);
            Guard.run("spares", () -> spares.manage(desired.serving(), sparesWanted(), noWorkerStarting(), System.nanoTime()));
            Guard.run("the watchdog", this::watchWorkers);
            Guard.run("sibling news", () -> commands.flushQueuedNews(table.occupied(), System.nanoTime()));
            if (killDeadlineNanos != 0 && System.nanoTime() - killDeadlineNanos >= 0) {
                Guard.run("killing", this::killRemaining);
            }
            if (stopping() && table.running().isEmpty() && spares.running().isEmpty()) {
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
    private void handleHup() {
        if (stopping()) {
            return;
        }
        if (desired.retired()) {
            // After WINCH (an upgrade's rollback, as nginx): the workers come back with this master's own configuration.
            log.info("starting the workers again with this master's configuration (generation {})", desired.serving().number);
            desired.unretire();
            return;
        }
        if (reload != null) {
            // A HUP during a reload is queued, not lost: the file may have changed again.
            log.info("a reload is in progress; this one follows it");
            reloadQueued = true;
            return;
        }
        startReload();
    }

    /** Graceful stop: workers finish what they serve, then the master exits. */
    private void handleQuit() {
        if (stopping()) {
            return;
        }
        stop(true, "gracefully shutting down", ChannelFrame.quit(),
                desired.serving().config.workerShutdownTimeout().toNanos() + QUIT_KILL_SLACK_NANOS);
    }

    /** Fast stop: workers exit now; whatever is alive after a second is killed. A QUIT under way is cut short. */
    private void handleTerminate() {
        if (terminating) {
            return;
        }
        stop(false, "exiting", ChannelFrame.terminate(), TERMINATE_GRACE_NANOS);
    }

    private void stop(boolean graceful, String message, ChannelFrame frame, long killAfterNanos) {
        reloads.failAll("the master is shutting down", desired.serving().number, reload);
        reload = null;
        log.info(message);
        extensions.announce(e -> e.stopping(control, graceful));
        quitting |= graceful;
        terminating |= !graceful;
        desired.stop();
        signalWorkerProcesses(frame);
        listeners.closeAll();
        killDeadlineNanos = System.nanoTime() + killAfterNanos;
    }

    /**
     * Reopen the logs: the master recreates them (owned by the worker user), then every worker reopens by path —
     * draining ones too, as nginx's: they still write the access log until their last request is done.
     */
    private void handleUsr1() {
        logFiles.reopen(desired.serving().config, desired.serving().workerUser);
        log.info("logs reopened");
        for (WorkerSlot slot : table.running()) {
            if (slot.worker().channelOpen()) {
                commands.send(slot, ChannelFrame.reopen());
            }
        }
        spares.reopen();
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
    private void setWorkerCount(int n) {
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
            extensions.announce(e -> e.upgradeStarted(control, newMaster));
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
        log.info("gracefully shutting down the worker processes (WINCH)");
        if (reload != null) {
            rollbackReload("the workers were told to quit (WINCH)");
        }
        desired.retire();
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
            if (desired.retired() && !stopping()) {
                handleHup(); // nobody would serve otherwise
            }
            extensions.announce(e -> e.upgradeRolledBack(control));
        }
    }

    // ---- reload ----------------------------------------------------------------------------------------------

    private void startReload() {
        log.info("reconfiguring");
        List<Consumer<ReloadOutcome>> requesters = reloads.takeAsking();
        WorkerGeneration serving = desired.serving();
        MasterConfiguration next;
        try {
            next = ConfigLoader.load(serving.config.configFile(), serving.config.prefix());
        } catch (ConfigurationException e) {
            reloadRejected(e.getMessage(), requesters);
            return;
        } catch (RuntimeException | LinkageError e) {
            reloadRejected("the configuration could not be checked: " + e, requesters);
            return;
        }
        if (table.free() < next.workerProcesses()) {
            reloadRejected("the process table has " + table.free() + " free slots of " + table.capacity()
                    + ", the new generation needs " + next.workerProcesses() + " (worker_processes)", requesters);
            return;
        }
        List<Integer> fds;
        UserInfo nextUser;
        try {
            nextUser = WorkerUser.resolve(posix, next);
            fds = listeners.openAll(next.listen());
        } catch (RuntimeException e) {
            listeners.retainOnly(serving.config.listen());
            reloadRejected(e.getMessage(), requesters);
            return;
        }
        logFiles.prepareForWorkers(next, nextUser);
        reload = new Reload(serving, new WorkerGeneration(serving.number + 1, next, nextUser, fds), requesters);
        desired.startTrial(reload.next);
        extensions.announce(e -> e.reloadStarted(control));
        if (desired.countOverridden() && desired.count() != next.workerProcesses()) {
            log.info("the reload applies worker_processes = {} again (TTIN/TTOU had set {})", next.workerProcesses(),
                    desired.count());
        }
    }

    /** Commits or rolls back the reload under way, and notices when the retired generation is gone. */
    private void progressReload() {
        if (reload != null) {
            if (reload.failure() != null) {
                rollbackReload(reload.failure());
            } else if (reload.allReady(table, desired.countFor(reload.next))) {
                commitReload();
            } else if (reload.overdue(System.nanoTime())) {
                rollbackReload("the new workers were not ready within "
                        + reload.next.config.workerReadyTimeout().toSeconds() + " s (worker_ready_timeout)");
            }
        }
        String completed = reloads.completion(table, desired.serving());
        if (completed != null) {
            log.info("reload complete: {}", completed);
            extensions.announce(e -> e.reloadCompleted(control));
        }
    }

    private void commitReload() {
        Reload done = reload;
        reload = null;
        desired.serve(done.next);
        listeners.retainOnly(done.next.config.listen());
        reloads.committed(done);
        // Logged before it is announced: whoever hears READY=1 (systemd, a control client) finds the line in the log.
        log.info("generation {} serving with {} workers after {} ms; generation {} is quitting", done.next.number,
                table.staying(done.next).size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - done.startedNanos),
                done.previous.number);
        extensions.announce(e -> e.reloadCommitted(control));
        startQueuedReload();
    }

    private void rollbackReload(String reason) {
        Reload failed = reload;
        reload = null;
        desired.abandonTrial();
        reloadRejected(reason, failed.requesters);
        listeners.retainOnly(failed.previous.config.listen());
        startQueuedReload();
    }

    private void startQueuedReload() {
        if (reloadQueued) {
            reloadQueued = false;
            startReload();
        }
    }

    /** A reload that did not happen: nothing changed, the old generation goes on serving. */
    private void reloadRejected(String reason, List<Consumer<ReloadOutcome>> requesters) {
        log.error("reload failed, generation {} goes on serving: {}", desired.serving().number, reason);
        reloads.rejected(reason, desired.serving().number, requesters);
        extensions.announce(e -> e.reloadFailed(control, reason));
    }

    // ---- the workers' word -----------------------------------------------------------------------------------

    private void readable(int fd) {
        WorkerSlot slot = table.byChannelFd(fd);
        if (slot != null) {
            readChannel(slot.worker(), frame -> workerSaid(slot, frame));
            return;
        }
        SpareWorker spare = spares.byChannelFd(fd);
        if (spare != null) {
            readChannel(spare.worker, frame -> spareSaid(spare, frame));
            return;
        }
        extensions.readable(fd, control);
    }

    /** At most {@link #FRAMES_PER_TURN} frames; EOF (or a reset) closes the master's end until the exit is reaped. */
    private void readChannel(Worker worker, Consumer<ChannelFrame> handler) {
        for (int i = 0; i < FRAMES_PER_TURN; i++) {
            Received received;
            try {
                received = worker.channel.receive();
            } catch (ChannelException e) {
                // ECONNRESET: the worker died with frames unread. Its status is reaped as for an EOF.
                log.debug("channel of worker process {}: {}", worker.pid, e.getMessage());
                worker.channelClosed();
                return;
            }
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
                    announceServingOnce();
                }
            }
            case HEARTBEAT -> watchdog.answered(slot, now);
            case STATUS -> log.debug("{} from worker process {}", frame.command(), slot.pid());
            default -> log.warn("worker process {} sent {}, which a worker may not send; ignored", slot.pid(), frame.command());
        }
    }

    private void spareSaid(SpareWorker spare, ChannelFrame frame) {
        switch (frame.command()) {
            case READY -> spares.ready(spare, System.nanoTime());
            case HEARTBEAT, STATUS -> log.debug("{} from spare worker process {}", frame.command(), spare.worker.pid);
            default -> log.warn("worker process {} sent {}, which a worker may not send; ignored", spare.worker.pid, frame.command());
        }
    }

    private void announceServingOnce() {
        if (servingAnnounced || !table.staying(desired.serving()).stream().allMatch(WorkerSlot::hasSaidReady)) {
            return;
        }
        servingAnnounced = true;
        log.info("serving: {} workers of generation {} ready", table.running().size(), desired.serving().number);
        extensions.announce(e -> e.serving(control));
    }

    // ---- reaping and the reconcile step ----------------------------------------------------------------------

    /** nginx's ngx_reap_children, for known pids only (waitpid(-1) would steal the JDK's children). */
    private void reapChildren() {
        for (WorkerSlot slot : table.running()) {
            Reaper.Exit exit = reaper.reap(slot.worker());
            if (exit != null) {
                workerExited(slot, exit);
            }
        }
        for (SpareWorker spare : spares.running()) {
            Reaper.Exit exit = reaper.reap(spare.worker);
            if (exit != null) {
                spares.exited(spare, exit, desired.serving().config, stopping(), System.nanoTime());
            }
        }
    }

    private void workerExited(WorkerSlot slot, Reaper.Exit exit) {
        Worker gone = slot.worker();
        boolean wanted = !stopping() && !slot.isExiting() && slot.generation == desired.serving();
        boolean crashed = CrashAccounting.isCrash(exit.status());
        boolean fatal = CrashAccounting.isFatal(exit.status());
        // The spare's PROMOTE before anything else: the clients queued on the listener since the worker died wait
        // for it, not for the log line, the siblings' CLOSE_CHANNEL or the extensions below (docs/BENCHMARKS.md).
        SpareWorker promoted = wanted && !crashed && !fatal ? spares.promote(slot) : null;
        if (!exit.lost() && exit.status().exited() && exit.status().exitCode() == 0) {
            log.info("worker process {} exited with code 0", gone.pid);
        } else {
            log.warn("worker process {} {}", gone.pid, exit);
        }
        if (!exit.lost()) {
            slot.lastExit = exit.status();
        }
        gone.close(posix);
        long now = System.nanoTime();
        boolean crashLimit = false;
        if (!wanted) {
            if (reload != null && slot.generation == reload.next && !slot.isExiting()) {
                reload.failed("a new worker " + exit + " before it was ready");
            }
            table.release(slot);
        } else if (fatal) {
            log.error("worker process {} exited with fatal code {} and cannot be respawned", gone.pid, SpawnContract.EXIT_FATAL);
            desired.fatallyFailed();
            table.release(slot);
        } else {
            crashLimit = crashed && crashes.countCrash(desired.serving().config, now);
            slot.vacate(CrashAccounting.respawnDue(slot, exit.status(), gone.startedAtNanos, now));
            slot.respawns++;
        }
        commands.passCloseChannel(slot, gone.pid, table.occupied());
        if (promoted != null) {
            occupy(slot, spares.takeOver(slot, promoted, now));
        }
        if (!exit.lost()) {
            extensions.announce(e -> e.workerExited(control, slot, exit.status()));
        }
        if (crashLimit) {
            exitStatus = 1;
            handleTerminate();
        }
    }

    /**
     * The reconcile step, gunicorn's {@code manage_workers}: each generation that is desired gets the slots it lacks
     * (nginx's {@code ngx_start_worker_processes}) and loses those beyond its count (the newest first, gracefully);
     * every slot of a generation no longer desired is retired; every vacant slot whose respawn is due is spawned into.
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
                startWorkerProcesses(generation, count - staying.size());
            }
            for (int i = staying.size() - 1; i >= count; i--) {
                retire(staying.get(i), successors);
            }
        }
        for (WorkerSlot slot : table.occupied()) {
            if (!slot.isExiting() && !wanted.contains(slot.generation)) {
                retire(slot, successors);
            }
        }
        if (stopping()) {
            return;
        }
        long now = System.nanoTime();
        for (WorkerSlot slot : table.occupied()) {
            if (slot.current() instanceof Vacant vacant && now - vacant.spawnDueNanos() >= 0) {
                spawnInto(slot);
            }
        }
    }

    /** nginx's ngx_start_worker_processes: n fresh slots of one generation, vacant and due now. */
    private void startWorkerProcesses(WorkerGeneration generation, int n) {
        log.info("starting {} worker processes (generation {})", n, generation.number);
        for (int i = 0; i < n; i++) {
            if (table.allocate(generation) == null) {
                String why = "no free slot in the process table for " + (n - i) + " more worker processes of generation "
                        + generation.number + " (" + table.capacity() + " in use)";
                log.error(why);
                if (reload != null && generation == reload.next) {
                    reload.failed(why);
                }
                return;
            }
        }
    }

    /**
     * Out of the desired count: a vacant slot is released; a worker of a generation that never served (a rolled-back
     * reload's) is terminated; any other quits gracefully, naming its successors for the connection handover.
     */
    private void retire(WorkerSlot slot, List<WorkerSlot> successors) {
        if (slot.isVacant()) {
            table.release(slot);
            return;
        }
        slot.exiting();
        if (slot.generation.number > desired.serving().number) {
            commands.send(slot, ChannelFrame.terminate());
        } else {
            commands.retire(slot, successors, desired.serving().config.connectionHandover());
        }
    }

    /** A spare promoted into the slot, or else a fresh JVM; a spawn that fails is tried again with backoff. */
    private void spawnInto(WorkerSlot slot) {
        long now = System.nanoTime();
        SpareWorker spare = spares.promote(slot);
        if (spare != null) {
            occupy(slot, spares.takeOver(slot, spare, now));
            return;
        }
        Worker worker;
        try {
            worker = spawner.spawn(slot.slot, slot.generation);
        } catch (RuntimeException e) {
            slot.quickDeaths++;
            long delay = CrashAccounting.backoff(slot.generation.config, slot.quickDeaths);
            slot.retryAt(now + delay);
            log.error("could not spawn a worker into slot {}: {}; retrying in {} ms", slot.slot, e.getMessage(),
                    TimeUnit.NANOSECONDS.toMillis(delay));
            if (reload != null && slot.generation == reload.next) {
                reload.failed("a new worker could not be spawned before it was ready: " + e.getMessage());
            }
            return;
        }
        log.info("start worker process {} (slot {})", worker.pid, slot.slot);
        occupy(slot, worker);
    }

    private void occupy(WorkerSlot slot, Worker worker) {
        slot.occupy(worker);
        commands.passOpenChannel(slot, table.occupied());
    }

    /** nginx's ngx_signal_worker_processes: every worker (draining ones too) and spare; vacant slots stay empty. */
    private void signalWorkerProcesses(ChannelFrame frame) {
        for (WorkerSlot slot : table.occupied()) {
            if (slot.isVacant()) {
                table.release(slot);
            } else {
                slot.exiting();
                commands.send(slot, frame);
            }
        }
        spares.retireAll(frame);
    }

    private void watchWorkers() {
        if (!stopping()) {
            watchdog.watch(table.occupied(), desired.serving().config.workerWatchdogTimeout(), System.nanoTime());
        }
    }

    private void killRemaining() {
        List<Integer> pids = new ArrayList<>();
        table.running().forEach(slot -> pids.add(slot.pid()));
        spares.running().forEach(spare -> pids.add(spare.pid()));
        for (int pid : pids) {
            log.warn("worker process {} did not exit in time; sending SIGKILL", pid);
            try {
                posix.kill(pid, Signal.KILL);
            } catch (PosixException e) {
                log.debug("kill({}, SIGKILL): {}", pid, e.getMessage());
            }
        }
        killDeadlineNanos = 0;
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private boolean stopping() {
        return quitting || terminating;
    }

    private int sparesWanted() {
        return stopping() || desired.retired() ? 0 : desired.serving().config.workerSpares();
    }

    /** No worker JVM of the serving generation is starting and no reload is under way: a spare may start now. */
    private boolean noWorkerStarting() {
        return reload == null && table.staying(desired.serving()).stream()
                .noneMatch(s -> s.state() == WorkerState.STARTING);
    }

    private int[] watchedDescriptors(MasterSignals signals) {
        List<Integer> fds = new ArrayList<>();
        fds.add(signals.fd());
        for (WorkerSlot slot : table.running()) {
            if (slot.worker().channelOpen()) {
                fds.add(slot.worker().channel.fd());
            }
        }
        for (SpareWorker spare : spares.running()) {
            if (spare.worker.channelOpen()) {
                fds.add(spare.worker.channel.fd());
            }
        }
        fds.addAll(extensions.descriptors());
        return fds.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Until the nearest timer (a respawn due, a kill or reload deadline, the watchdog, sibling news to retry, a spare
     * to start, an extension's), or forever: signals (CHLD included) and channel EOFs wake the poll, so an idle master
     * costs no CPU.
     */
    private int pollTimeoutMillis() {
        long now = System.nanoTime();
        long next = Long.MAX_VALUE;
        for (WorkerSlot slot : table.occupied()) {
            if (slot.current() instanceof Vacant vacant) {
                next = earlier(next, vacant.spawnDueNanos());
            } else if (!slot.worker().channelOpen()) {
                // EOF came before the process was a zombie; CHLD will wake us, but do not depend on one CHLD per exit.
                next = earlier(next, now + UNREAPED_RECHECK_NANOS);
            }
        }
        for (SpareWorker spare : spares.running()) {
            if (!spare.worker.channelOpen()) {
                next = earlier(next, now + UNREAPED_RECHECK_NANOS);
            }
        }
        next = earlier(next, spares.nextSpawnNanos(sparesWanted()));
        next = earlier(next, killDeadlineNanos == 0 ? Long.MAX_VALUE : killDeadlineNanos);
        next = earlier(next, reload == null ? Long.MAX_VALUE : reload.deadlineNanos);
        if (!stopping()) {
            next = earlier(next, watchdog.nextDeadlineNanos(table.occupied(), desired.serving().config.workerWatchdogTimeout(), now));
        }
        next = earlier(next, WorkerCommands.nextNewsRetryNanos(table.occupied()));
        next = earlier(next, extensions.nextTimerNanos());
        if (next == Long.MAX_VALUE) {
            return -1;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, TimeUnit.NANOSECONDS.toMillis(next - now + 999_999)));
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

    /** The master as extensions see and steer it; every call on the master thread. */
    private final class CycleControl implements MasterControl {
        @Override
        public int pid() {
            return posix.getpid();
        }

        @Override
        public long generation() {
            return desired.serving().number;
        }

        @Override
        public List<InetSocketAddress> listeners() {
            List<InetSocketAddress> out = new ArrayList<>();
            listeners.byAddress().values().forEach(fd -> out.add(posix.localAddress(fd)));
            return out;
        }

        @Override
        public List<WorkerSlot> workers() {
            return table.occupied();
        }

        @Override
        public int desiredWorkers() {
            return desired.count();
        }

        @Override
        public List<SpareWorker> spares() {
            return spares.running();
        }

        @Override
        public int desiredSpares() {
            return desired.serving().config.workerSpares();
        }

        @Override
        public boolean reloading() {
            return reload != null || reloads.retiring();
        }

        @Override
        public boolean stopping() {
            return MasterProcessCycle.this.stopping();
        }

        @Override
        public long startedAtMillis() {
            return startedAtMillis;
        }

        @Override
        public long reloads() {
            return reloads.committed();
        }

        @Override
        public long failedReloads() {
            return reloads.failed();
        }

        @Override
        public String lastReloadResult() {
            return reloads.lastResult();
        }

        @Override
        public void reload(Consumer<ReloadOutcome> done) {
            if (MasterProcessCycle.this.stopping()) {
                done.accept(new ReloadOutcome(false, desired.serving().number, "the master is shutting down"));
                return;
            }
            reloads.ask(done);
            handleHup();
        }

        @Override
        public void quit() {
            handleQuit();
        }

        @Override
        public void stop() {
            handleTerminate();
        }

        @Override
        public void reopen() {
            handleUsr1();
        }

        @Override
        public void setWorkerCount(int n) {
            MasterProcessCycle.this.setWorkerCount(n);
        }
    }
}
