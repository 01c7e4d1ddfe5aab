package io.masterwork.master.process;

import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Successors;
import io.masterwork.channel.Command;
import io.masterwork.channel.Received;
import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.ConfigurationException;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.pid.PidFile;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.ProcessTitle;
import io.masterwork.posix.Signal;
import io.masterwork.posix.SignalInfo;
import io.masterwork.posix.UserInfo;
import io.masterwork.posix.WaitStatus;
import jakarta.inject.Inject;
import java.util.ArrayList;
import io.masterwork.posix.SpawnRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's whole life, nginx's {@code ngx_master_process_cycle} read top to bottom: open the
 * listeners, start the workers, then wait for a signal or a worker's word, handle it (one
 * {@code handle*} method per signal, as gunicorn's arbiter), reap and respawn, until told to stop.
 * Everything runs on the one thread that calls {@link #run}.
 */
public final class MasterProcessCycle {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    /** A worker that served this long before dying resets its slot's respawn backoff. */
    static final long STABLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** TERM/INT: what is still alive this long after TERMINATE gets SIGKILL (nginx escalates too). */
    static final long TERMINATE_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    /** QUIT: workers bound themselves by worker_shutdown_timeout; past it plus this, a hung one is killed. */
    static final long QUIT_KILL_SLACK_NANOS = TimeUnit.SECONDS.toNanos(3);
    static final String MASTER_MAIN_CLASS = "io.masterwork.master.cli.Masterwork";
    /** After the watchdog's SIGQUIT, the JVM gets this long to print its thread dump before SIGKILL. */
    static final long WATCHDOG_DUMP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** Crashes within the window at which the master warns loudly even without a crash limit. */
    static final int CRASH_ALERT_THRESHOLD = 5;
    static final java.util.Set<Signal> CRASH_SIGNALS =
            java.util.EnumSet.of(Signal.SEGV, Signal.ABRT, Signal.BUS, Signal.ILL, Signal.FPE);

    private final Posix posix;
    private final MasterConfiguration config;
    private final MasterLogFiles logFiles;
    private final InheritedListeners inheritedListeners;
    private final ProcessTable table = new ProcessTable();
    /** worker_spares: started ahead of need, outside the table until promoted into a slot. */
    private final SpareWorkers spares = new SpareWorkers();
    private final Listeners listeners;
    private final Spawner spawner;
    private final WorkerCommands commands;
    private final List<MasterExtension> extensions;
    private final Control control = new Control();

    private WorkerGeneration generation;
    private Reload reload;
    private boolean reloadQueued;
    /** The generation a committed reload is retiring, until its last worker is gone. */
    private long retiringGeneration = -1;
    private long retiringSinceNanos;
    private boolean quitting;
    private boolean terminating;
    private long killDeadlineNanos;
    private final long startedAtMillis = System.currentTimeMillis();
    /** TTIN/TTOU/"workers N": the count in effect until the next reload; null = the configuration's. */
    private Integer workerCountOverride;
    private final java.util.ArrayDeque<Long> recentCrashes = new java.util.ArrayDeque<>();
    private long nextHeartbeatNanos;
    private int exitStatus;
    /** WINCH: the workers were told to quit and are not respawned; HUP starts them again. */
    private boolean workersRetired;
    /** As an old master: the upgrade under way. */
    private BinaryUpgrade upgrade;
    /** As a new master: who handed over the listeners. */
    private final java.util.Optional<UpgradeHandover> handover = UpgradeHandover.fromEnvironment(System.getenv());
    private PidFile pidFile;
    /** This process's argv as it was started, before the title overwrote it: a new master is started alike. */
    private List<String> launchArgv = List.of();
    private boolean servingAnnounced;
    private long reloads;
    private long failedReloads;
    private String lastReloadResult = "none";
    /** Who asked for the next reload (control socket), and who waits for the committed one to complete. */
    private final List<Consumer<MasterControl.ReloadOutcome>> reloadRequesters = new ArrayList<>();
    private final List<Consumer<MasterControl.ReloadOutcome>> retiringRequesters = new ArrayList<>();

    @Inject
    public MasterProcessCycle(Posix posix, MasterConfiguration config, MasterLogFiles logFiles,
                              InheritedListeners inheritedListeners, Set<MasterExtension> extensions) {
        this.posix = posix;
        this.config = config;
        this.logFiles = logFiles;
        this.inheritedListeners = inheritedListeners;
        this.extensions = List.copyOf(extensions);
        this.listeners = new Listeners(posix);
        this.spawner = new Spawner(posix);
        this.commands = new WorkerCommands(posix);
    }

    /** Runs the master until it is stopped; returns the process exit status. */
    public int run(PidFile pidFile) {
        this.pidFile = pidFile;
        launchArgv = ProcessTitle.commandLine();
        long firstGeneration = 1;
        if (handover.isPresent()) {
            UpgradeHandover h = handover.get();
            if (h.protocol() != UpgradeHandover.PROTOCOL) {
                throw new IllegalStateException("cannot take over from masterwork/" + h.oldVersion() + " (pid "
                        + h.oldPid() + "): it hands over with protocol " + h.protocol() + ", this master speaks "
                        + UpgradeHandover.PROTOCOL);
            }
            log.info("binary upgrade: masterwork/{} (pid {}, generation {}) hands over to masterwork/{}",
                    h.oldVersion(), h.oldPid(), h.oldGeneration(), io.masterwork.master.cli.Version.get());
            firstGeneration = h.oldGeneration() + 1;
        }
        setMasterTitle();
        try (MasterSignals signals = new MasterSignals(posix)) {
            UserInfo workerUser = resolveWorkerUser(config);
            logFiles.prepareForWorkers(config, workerUser);
            Map<InetSocketAddress, Integer> inherited = inheritedListeners.take();
            for (InetSocketAddress address : listeners.adopt(inherited, config.listen())) {
                log.info("using the inherited listening socket for {}", address);
            }
            if (inherited.size() > listeners.byAddress().size()) {
                log.warn("{} inherited listening socket(s) not named by \"listen\" were closed",
                        inherited.size() - listeners.byAddress().size());
            }
            List<Integer> fds = listeners.openAll(config.listen());
            listeners.byAddress().forEach((address, fd) ->
                    log.info("listening on {} (fd {})", posix.localAddress(fd), fd));
            pidFile.write(posix.getpid());
            try {
                generation = new WorkerGeneration(firstGeneration, config, workerUser, fds);
                startWorkerProcesses(generation, generation.config.workerProcesses());
                announce(e -> e.started(control));
                masterLoop(signals);
            } finally {
                listeners.closeAll();
                killRemaining();
                if (upgrade != null && posix.isAlive(upgrade.newMasterPid)) {
                    // The pid file (and control socket) are the new master's now: only ours, .oldbin, go.
                    deleteQuietly(BinaryUpgrade.oldbin(upgrade.pidFile));
                    if (upgrade.controlSocket != null) {
                        deleteQuietly(BinaryUpgrade.oldbin(upgrade.controlSocket));
                    }
                    log.info("the new master {} carries on", upgrade.newMasterPid);
                } else {
                    pidFile.remove();
                }
                announce(e -> e.stopped(control));
            }
        }
        log.info("exit");
        return exitStatus;
    }

    private void masterLoop(MasterSignals signals) {
        for (;;) {
            int[] fds = watchedDescriptors(signals);
            List<Integer> readable = posix.pollReadable(fds, pollTimeoutMillis());
            for (int fd : readable) {
                if (fd == signals.fd()) {
                    for (SignalInfo signal : signals.drain()) {
                        guarded("signal " + signal.number(), () -> dispatch(signal));
                    }
                } else {
                    WorkerSlot inTable = table.byChannelFd(fd);
                    WorkerSlot slot = inTable != null ? inTable : spares.byChannelFd(fd);
                    if (slot != null) {
                        guarded("the channel of worker process " + slot.pid, () -> readChannel(slot));
                    } else {
                        dispatchToExtension(fd);
                    }
                }
            }
            runExtensionTimers();
            guarded("reaping", this::reapChildren);
            guarded("the upgrade", this::reapNewMaster);
            guarded("respawning", this::respawnDueWorkers);
            guarded("spares", this::manageSpares);
            guarded("reloading", this::progressReload);
            guarded("the watchdog", this::watchWorkers);
            if (killDeadlineNanos != 0 && System.nanoTime() - killDeadlineNanos >= 0) {
                guarded("killing", this::killRemaining);
            }
            if ((quitting || terminating) && table.running().isEmpty() && spares.running().isEmpty()) {
                return;
            }
        }
    }

    /**
     * The master outlives whatever goes wrong while handling one event, as nginx's does: the error is
     * logged with its cause and the loop goes on with the next one.
     */
    private static void guarded(String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            log.error("error while handling {}: {}", what, e.toString(), e);
        }
    }

    private void announce(Consumer<MasterExtension> event) {
        for (MasterExtension extension : extensions) {
            guarded(extension.getClass().getSimpleName(), () -> event.accept(extension));
        }
    }

    private void dispatchToExtension(int fd) {
        for (MasterExtension extension : extensions) {
            for (int own : extension.descriptors()) {
                if (own == fd) {
                    guarded(extension.getClass().getSimpleName(), () -> extension.readable(fd, control));
                    return;
                }
            }
        }
    }

    private void runExtensionTimers() {
        long now = System.nanoTime();
        for (MasterExtension extension : extensions) {
            long due = extension.nextTimerNanos();
            if (due != Long.MAX_VALUE && now - due >= 0) {
                guarded(extension.getClass().getSimpleName(), () -> extension.timer(control));
            }
        }
    }

    // ---- signals: one handler each -----------------------------------------------------------

    private void dispatch(SignalInfo info) {
        Signal signal = info.signal();
        if (signal != Signal.CHLD && signal != Signal.IO) {
            log.info("signal {} ({}) received from {}", info.number(),
                    signal == null ? "?" : signal.fullName(), info.senderPid());
        }
        if (signal == null) {
            return;
        }
        switch (signal) {
            case CHLD -> handleChld();
            case QUIT -> handleQuit();
            case TERM, INT -> handleTerminate();
            case USR1 -> handleUsr1();
            case IO -> handleIo();
            case HUP -> handleHup();
            case TTIN -> handleTtin();
            case TTOU -> handleTtou();
            case USR2 -> handleUsr2();
            case WINCH -> handleWinch();
            default -> log.warn("unexpected signal {}", signal.fullName());
        }
    }

    private void handleChld() {
        // Reaping happens after every batch of events; CHLD only wakes the loop.
    }

    /** Reload: a new generation with the re-read configuration, then the old one drains. */
    private void handleHup() {
        if (quitting || terminating) {
            return;
        }
        if (workersRetired) {
            // After WINCH (an upgrade's rollback, as nginx): the workers come back with this master's own configuration.
            log.info("starting the workers again with this master's configuration (generation {})", generation.number);
            workersRetired = false;
            startWorkerProcesses(generation, desiredWorkers());
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
        if (terminating) {
            return;
        }
        if (!quitting) {
            failPendingReloads("the master is shutting down");
            reload = null;
            log.info("gracefully shutting down");
            announce(e -> e.stopping(control, true));
            quitting = true;
            signalWorkerProcesses(ChannelFrame.quit());
            closeListeningSockets();
            killDeadlineNanos = System.nanoTime() + generation.config.workerShutdownTimeout().toNanos() + QUIT_KILL_SLACK_NANOS;
        }
    }

    /** Fast stop: workers exit now; whatever is alive after a second is killed. */
    private void handleTerminate() {
        if (!terminating) {
            failPendingReloads("the master is shutting down");
            reload = null;
            log.info("exiting");
            announce(e -> e.stopping(control, false));
            terminating = true;
            signalWorkerProcesses(ChannelFrame.terminate());
            closeListeningSockets();
            killDeadlineNanos = System.nanoTime() + TERMINATE_GRACE_NANOS;
        }
    }

    /** Reopen the logs: the master recreates them (owned by the worker user), then the workers reopen by path. */
    private void handleUsr1() {
        logFiles.reopen(generation.config, generation.workerUser);
        log.info("logs reopened");
        for (WorkerSlot slot : table.running()) {
            if (slot.state != WorkerState.EXITING) {
                commands.send(slot, ChannelFrame.reopen());
            }
        }
        for (WorkerSlot spare : spares.usable()) {
            commands.send(spare, ChannelFrame.reopen());
        }
    }

    /** One worker more, as gunicorn and unicorn do; a reload applies worker_processes again. */
    private void handleTtin() {
        setWorkerCount(desiredWorkers() + 1);
    }

    /** One worker fewer, retired gracefully; never below one. */
    private void handleTtou() {
        if (desiredWorkers() <= 1) {
            log.warn("TTOU ignored: masterwork never runs fewer than one worker");
            return;
        }
        setWorkerCount(desiredWorkers() - 1);
    }

    private int desiredWorkers() {
        return workerCountOverride != null ? workerCountOverride : generation.config.workerProcesses();
    }

    private void setWorkerCount(int n) {
        if (quitting || terminating) {
            return;
        }
        if (n < 1 || n > ProcessTable.MAX_SLOTS) {
            throw new IllegalArgumentException("the worker count must be between 1 and " + ProcessTable.MAX_SLOTS + ", got " + n);
        }
        workerCountOverride = n;
        List<WorkerSlot> serving = new ArrayList<>();
        for (WorkerSlot slot : table.occupied()) {
            if (slot.generation == generation.number && slot.respawn) {
                serving.add(slot);
            }
        }
        log.info("worker count {} -> {} (generation {})", serving.size(), n, generation.number);
        for (int i = serving.size(); i < n; i++) {
            WorkerSlot slot = table.allocate();
            slot.spec = generation;
            slot.generation = generation.number;
            spawnInto(slot);
        }
        // Retire the newest slots first, gracefully, as a reload's old generation is.
        List<WorkerSlot> staying = serving.subList(0, Math.min(n, serving.size()));
        for (int i = serving.size() - 1; i >= n; i--) {
            WorkerSlot slot = serving.get(i);
            slot.respawn = false;
            if (slot.hasProcess()) {
                slot.state = WorkerState.EXITING;
                retireWorkerProcess(slot, staying, generation.config);
            } else {
                table.release(slot);
            }
        }
    }

    /** FIOASYNC on the command channels makes Linux send SIGIO; it is only a wake-up here. */
    private void handleIo() {
    }

    /**
     * Binary upgrade, nginx's USR2: the pid file becomes .oldbin, and a new master from the newest build
     * starts with the listening sockets (and nothing else); both serve until WINCH and QUIT retire this one.
     */
    private void handleUsr2() {
        if (quitting || terminating) {
            return;
        }
        if (upgrade != null) {
            log.warn("USR2 refused: the upgrade to master {} is in progress", upgrade.newMasterPid);
            return;
        }
        if (handover.isPresent() && posix.isAlive(handover.get().oldPid()) && posix.getppid() == handover.get().oldPid()) {
            log.warn("USR2 ignored: the old master {} still runs; QUIT it first", handover.get().oldPid());
            return;
        }
        Path pid = pidFile.path();
        Path socket = generation.config.controlSocket().orElse(null);
        try {
            Files.move(pid, BinaryUpgrade.oldbin(pid), StandardCopyOption.ATOMIC_MOVE);
            if (socket != null && Files.exists(socket)) {
                Files.move(socket, BinaryUpgrade.oldbin(socket), StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            log.error("binary upgrade refused: cannot move the pid file aside: {}", e.toString());
            restoreOldbin(pid, socket);
            return;
        }
        int newPid;
        try {
            newPid = spawnNewMaster();
        } catch (RuntimeException e) {
            log.error("binary upgrade failed: cannot start the new master: {}", e.getMessage());
            restoreOldbin(pid, socket);
            return;
        }
        upgrade = new BinaryUpgrade(newPid, pid, socket);
        log.info("binary upgrade: new master process {} started; this master (masterwork/{}) keeps serving until WINCH and QUIT",
                newPid, io.masterwork.master.cli.Version.get());
        announce(e -> e.upgradeStarted(control, newPid));
    }

    /** nginx's WINCH: the workers quit gracefully; the master stays (with its listeners) for a rollback. */
    private void handleWinch() {
        if (quitting || terminating) {
            return;
        }
        if (upgrade == null && hasControllingTerminal()) {
            // A terminal resize sends WINCH too: outside an upgrade, a foreground master ignores it (as nginx).
            log.info("WINCH ignored: no upgrade is in progress and this master has a controlling terminal");
            return;
        }
        log.info("gracefully shutting down the worker processes (WINCH)");
        workersRetired = true;
        signalWorkerProcesses(ChannelFrame.quit());
    }

    private boolean hasControllingTerminal() {
        try {
            posix.close(posix.open("/dev/tty", io.masterwork.posix.OpenFlags.RDONLY | io.masterwork.posix.OpenFlags.NOCTTY, 0));
            return true;
        } catch (PosixException e) {
            return false;
        }
    }

    /** The new master is our child: when it exits while we run, the upgrade is rolled back. */
    private void reapNewMaster() {
        if (upgrade == null) {
            return;
        }
        WaitStatus status = posix.waitpid(upgrade.newMasterPid, true);
        if (status == null) {
            return;
        }
        BinaryUpgrade gone = upgrade;
        upgrade = null;
        log.warn("the new master process {} {}; the upgrade is rolled back, this master carries on", gone.newMasterPid, status);
        restoreOldbin(gone.pidFile, gone.controlSocket);
        if (workersRetired && !quitting && !terminating) {
            // Nobody would serve otherwise.
            handleHup();
        }
        announce(e -> e.upgradeRolledBack(control));
    }

    private void restoreOldbin(Path pid, Path socket) {
        try {
            if (Files.exists(BinaryUpgrade.oldbin(pid))) {
                Files.move(BinaryUpgrade.oldbin(pid), pid, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            if (socket != null && Files.exists(BinaryUpgrade.oldbin(socket))) {
                Files.move(BinaryUpgrade.oldbin(socket), socket, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            log.error("cannot move the .oldbin files back: {}", e.toString());
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", path, e.toString());
        }
    }

    /**
     * Starts the new master: the newest build's bin/masterwork when this master runs from a build (the
     * launcher's .masterwork/current), else this master's own command line. It gets the listeners at 3, 4, ...
     * and stdin/stdout/stderr; no channel, no other descriptor.
     */
    private int spawnNewMaster() {
        List<InetSocketAddress> addresses = new ArrayList<>(listeners.byAddress().keySet());
        List<Integer> fds = new ArrayList<>(listeners.byAddress().values());
        List<String> command = newMasterCommand();
        List<String> env = new ArrayList<>();
        System.getenv().forEach((k, v) -> {
            if (!k.equals("MASTERWORK_SIGNALS_ROUTED") && !k.startsWith("LISTEN_") && !k.equals(UpgradeHandover.ENV_LISTENERS)
                    && !k.equals(UpgradeHandover.ENV_UPGRADE) && !k.equals("_JAVA_SR_SIGNUM")) {
                env.add(k + "=" + v);
            }
        });
        List<InetSocketAddress> bound = new ArrayList<>();
        fds.forEach(fd -> bound.add(posix.localAddress(fd)));
        env.add(UpgradeHandover.ENV_LISTENERS + "=" + UpgradeHandover.listenersValue(bound, 3));
        env.add(UpgradeHandover.ENV_UPGRADE + "=" + new UpgradeHandover(UpgradeHandover.PROTOCOL, posix.getpid(),
                io.masterwork.master.cli.Version.get(), generation.number).environmentValue());
        SpawnRequest request = new SpawnRequest(command.get(0)).argv(command.subList(1, command.size()))
                .environment(env).workingDirectory(System.getProperty("user.dir"))
                .mapFd(0, 0).mapFd(1, 1).mapFd(2, 2);
        for (int i = 0; i < fds.size(); i++) {
            request.mapFd(fds.get(i), 3 + i);
        }
        log.info("starting the new master: {} (listeners {})", String.join(" ", command.subList(1, command.size())), addresses);
        return posix.spawn(request);
    }

    /** [executable, argv0, args...] */
    private List<String> newMasterCommand() {
        int main = launchArgv.indexOf(MASTER_MAIN_CLASS);
        List<String> userArgs = main >= 0 ? launchArgv.subList(main + 1, launchArgv.size()) : List.of();
        Path script = newestBuildScript();
        List<String> command = new ArrayList<>();
        if (script != null) {
            command.add(script.toString());
            command.add(script.toString());
            command.addAll(userArgs);
        } else {
            command.add(posix.executablePath());
            command.addAll(launchArgv);
        }
        return command;
    }

    /** The launcher's newest build (.masterwork/current), else this build's own bin/masterwork, else null. */
    private static Path newestBuildScript() {
        String override = System.getenv("MASTERWORK_UPGRADE_BINARY");
        if (override != null && Files.isExecutable(Path.of(override))) {
            return Path.of(override);
        }
        String first = System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0];
        Path lib = Path.of(first).toAbsolutePath().getParent();
        if (lib == null || lib.getParent() == null) {
            return null;
        }
        Path build = lib.getParent();
        Path builds = build.getParent();
        if (builds != null && builds.getParent() != null) {
            Path current = builds.getParent().resolve("current/bin/masterwork");
            if (Files.isExecutable(current)) {
                return current;
            }
        }
        Path own = build.resolve("bin/masterwork");
        return Files.isExecutable(own) ? own : null;
    }

    // ---- workers -----------------------------------------------------------------------------

    /** nginx's ngx_start_worker_processes: n fresh slots of one generation. */
    private List<WorkerSlot> startWorkerProcesses(WorkerGeneration gen, int n) {
        log.info("starting {} worker processes (generation {})", n, gen.number);
        List<WorkerSlot> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            WorkerSlot slot = table.allocate();
            slot.spec = gen;
            slot.generation = gen.number;
            started.add(slot);
            spawnInto(slot);
        }
        return started;
    }

    private void spawnInto(WorkerSlot slot) {
        if (promoteSpareInto(slot)) {
            return;
        }
        try {
            spawner.spawn(slot, slot.spec);
        } catch (PosixException e) {
            slot.quickDeaths++;
            long delay = respawnDelay(slot);
            slot.respawnDueNanos = System.nanoTime() + delay;
            log.error("could not spawn a worker into slot {}: {}; retrying in {} ms", slot.slot, e.getMessage(),
                    TimeUnit.NANOSECONDS.toMillis(delay));
            return;
        }
        slot.respawnDueNanos = 0;
        log.info("start worker process {} (slot {})", slot.pid, slot.slot);
        passOpenChannel(slot);
    }

    /**
     * The seed's "a new brother is born, his port is xxx": every live sibling gets the write end of the
     * new worker's inbox, and the new worker gets each sibling's — never a command channel.
     */
    private void passOpenChannel(WorkerSlot born) {
        for (WorkerSlot sibling : table.running()) {
            // A draining worker needs no news of its siblings (and its channel may already be gone).
            if (sibling == born || sibling.channelClosed || sibling.state == WorkerState.EXITING) {
                continue;
            }
            commands.send(sibling, ChannelFrame.openChannel(born.pid, born.slot, born.inboxWriteFd));
            commands.send(born, ChannelFrame.openChannel(sibling.pid, sibling.slot, sibling.inboxWriteFd));
        }
    }

    /**
     * QUIT to a worker being replaced, preceded by RETIRE naming its successors when
     * {@code connection_handover} is on (the configuration that will serve decides): the worker then moves
     * its idle connections to them instead of closing them. Both go over the same channel, so RETIRE
     * arrives first; a worker reached only by the signal fallback drains as before.
     */
    private void retireWorkerProcess(WorkerSlot retiring, List<WorkerSlot> successors, MasterConfiguration serving) {
        if (serving.connectionHandover()) {
            List<Successors.Successor> named = new ArrayList<>();
            for (WorkerSlot successor : successors) {
                if (successor != retiring && successor.hasProcess() && successor.state == WorkerState.READY
                        && !successor.channelClosed) {
                    named.add(new Successors.Successor(successor.slot, successor.pid));
                }
            }
            if (!named.isEmpty()) {
                commands.send(retiring, ChannelFrame.retire(Successors.encode(named)));
            }
        }
        commands.send(retiring, ChannelFrame.quit());
    }

    private void passCloseChannel(WorkerSlot gone, int pid) {
        for (WorkerSlot sibling : table.running()) {
            if (sibling != gone && !sibling.channelClosed && sibling.state != WorkerState.EXITING) {
                commands.send(sibling, ChannelFrame.closeChannel(pid, gone.slot));
            }
        }
    }

    private void signalWorkerProcesses(ChannelFrame frame) {
        for (WorkerSlot slot : table.running()) {
            slot.respawn = false;
            slot.state = WorkerState.EXITING;
            commands.send(slot, frame);
        }
        retireSpares(frame, null);
        // Empty slots waiting for a respawn stay empty now.
        for (WorkerSlot slot : table.occupied()) {
            if (!slot.hasProcess()) {
                table.release(slot);
            }
        }
    }

    // ---- reload ------------------------------------------------------------------------------

    private void startReload() {
        log.info("reconfiguring");
        List<Consumer<MasterControl.ReloadOutcome>> requesters = new ArrayList<>(reloadRequesters);
        reloadRequesters.clear();
        MasterConfiguration next;
        try {
            next = ConfigLoader.load(generation.config.configFile(), generation.config.prefix());
        } catch (ConfigurationException e) {
            reloadRejected(e.getMessage(), requesters);
            return;
        }
        List<Integer> fds;
        UserInfo nextUser;
        try {
            nextUser = resolveWorkerUser(next);
            fds = listeners.openAll(next.listen());
        } catch (RuntimeException e) {
            listeners.retainOnly(generation.config.listen());
            reloadRejected(e.getMessage(), requesters);
            return;
        }
        logFiles.prepareForWorkers(next, nextUser);
        reload = new Reload(generation, new WorkerGeneration(generation.number + 1, next, nextUser, fds),
                next.workerReadyTimeout().toNanos());
        reload.requesters.addAll(requesters);
        announce(e -> e.reloadStarted(control));
        if (workerCountOverride != null && workerCountOverride != next.workerProcesses()) {
            log.info("the reload applies worker_processes = {} again (TTIN/TTOU had set {})",
                    next.workerProcesses(), workerCountOverride);
        }
        for (WorkerSlot slot : startWorkerProcesses(reload.next, next.workerProcesses())) {
            // Until the new generation is committed, a death means roll back, not respawn.
            slot.respawn = false;
            reload.starting.add(slot);
        }
    }

    /** Commits or rolls back the reload under way, and notices when the retired generation is gone. */
    private void progressReload() {
        if (reload != null) {
            WorkerSlot dead = reload.diedBeforeReady();
            if (dead != null) {
                rollbackReload("a new worker " + (dead.lastExit == null ? "could not be spawned" : dead.lastExit)
                        + " before it was ready");
            } else if (reload.allReady()) {
                commitReload();
            } else if (System.nanoTime() - reload.deadlineNanos >= 0) {
                rollbackReload("the new workers were not ready within "
                        + reload.next.config.workerReadyTimeout().toSeconds() + " s (worker_ready_timeout)");
            }
        }
        if (retiringGeneration >= 0 && table.running().stream().noneMatch(s -> s.generation == retiringGeneration)) {
            String message = "generation " + generation.number + " serving, generation " + retiringGeneration
                    + " gone " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - retiringSinceNanos)
                    + " ms after the reload began";
            log.info("reload complete: {}", message);
            retiringGeneration = -1;
            tell(retiringRequesters, new MasterControl.ReloadOutcome(true, generation.number, message));
            announce(e -> e.reloadCompleted(control));
        }
    }

    private void commitReload() {
        Reload done = reload;
        reload = null;
        generation = done.next;
        workerCountOverride = null;
        for (WorkerSlot slot : table.occupied()) {
            if (slot.generation == generation.number) {
                slot.respawn = true;
            } else if (slot.hasProcess()) {
                slot.respawn = false;
                slot.state = WorkerState.EXITING;
                retireWorkerProcess(slot, done.starting, generation.config);
            } else {
                table.release(slot);
            }
        }
        listeners.retainOnly(generation.config.listen());
        retireSpares(ChannelFrame.quit(), generation);
        retiringGeneration = done.previous.number;
        retiringSinceNanos = done.startedNanos;
        retiringRequesters.addAll(done.requesters);
        reloads++;
        lastReloadResult = "ok";
        // Logged before it is announced: whoever hears READY=1 (systemd, a control client) finds the line in the log.
        log.info("generation {} serving with {} workers after {} ms; generation {} is quitting", generation.number,
                done.starting.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - done.startedNanos),
                done.previous.number);
        announce(e -> e.reloadCommitted(control));
        if (reloadQueued) {
            reloadQueued = false;
            startReload();
        }
    }

    private void rollbackReload(String reason) {
        Reload failed = reload;
        reload = null;
        reloadRejected(reason, failed.requesters);
        for (WorkerSlot slot : failed.starting) {
            slot.respawn = false;
            if (slot.hasProcess()) {
                slot.state = WorkerState.EXITING;
                commands.send(slot, ChannelFrame.terminate());
            } else {
                table.release(slot);
            }
        }
        listeners.retainOnly(failed.previous.config.listen());
        if (reloadQueued) {
            reloadQueued = false;
            startReload();
        }
    }

    /** A reload that did not happen: nothing changed, the old generation goes on serving. */
    private void reloadRejected(String reason, List<Consumer<MasterControl.ReloadOutcome>> requesters) {
        log.error("reload failed, generation {} goes on serving: {}", generation.number, reason);
        failedReloads++;
        lastReloadResult = reason;
        tell(requesters, new MasterControl.ReloadOutcome(false, generation.number, reason));
        announce(e -> e.reloadFailed(control, reason));
    }

    private void failPendingReloads(String reason) {
        List<Consumer<MasterControl.ReloadOutcome>> all = new ArrayList<>(reloadRequesters);
        reloadRequesters.clear();
        if (reload != null) {
            all.addAll(reload.requesters);
        }
        all.addAll(retiringRequesters);
        retiringRequesters.clear();
        tell(all, new MasterControl.ReloadOutcome(false, generation.number, reason));
    }

    private static void tell(List<Consumer<MasterControl.ReloadOutcome>> requesters, MasterControl.ReloadOutcome outcome) {
        List<Consumer<MasterControl.ReloadOutcome>> copy = new ArrayList<>(requesters);
        requesters.clear();
        for (Consumer<MasterControl.ReloadOutcome> requester : copy) {
            guarded("a reload requester", () -> requester.accept(outcome));
        }
    }

    private void readChannel(WorkerSlot slot) {
        for (;;) {
            Received received;
            try {
                received = slot.channel.receive();
            } catch (ChannelException e) {
                // ECONNRESET: the worker died with frames unread. Its status is reaped as for an EOF.
                log.debug("channel of worker process {}: {}", slot.pid, e.getMessage());
                slot.channelClosed = true;
                return;
            }
            if (received.wouldBlock()) {
                return;
            }
            if (received.isEof()) {
                // The worker is gone or going; its status is reaped when the kernel has it.
                slot.channelClosed = true;
                return;
            }
            if (!received.isFrame()) {
                log.warn("worker process {} sent a malformed frame, dropped: {}", slot.pid,
                        received.error().getMessage());
                continue;
            }
            ChannelFrame frame = received.frame();
            if (frame.command() == Command.READY && (slot.spare || isSpareReady(frame))) {
                spareReady(slot, frame);
            } else if (frame.command() == Command.READY) {
                if (slot.state == WorkerState.STARTING) {
                    slot.state = WorkerState.READY;
                    slot.readyAtNanos = System.nanoTime();
                    slot.lastHeartbeatNanos = slot.readyAtNanos;
                    log.info("worker process {} (slot {}) ready in {} ms", slot.pid, slot.slot,
                            TimeUnit.NANOSECONDS.toMillis(slot.readyAtNanos - slot.startedAtNanos));
                    announceServingOnce();
                }
            } else if (frame.command() == Command.HEARTBEAT) {
                slot.lastHeartbeatNanos = System.nanoTime();
                if (slot.watchdogKillAtNanos != 0) {
                    log.warn("worker process {} answers again; the watchdog lets it live", slot.pid);
                    slot.watchdogKillAtNanos = 0;
                }
            } else if (frame.command() == Command.STATUS) {
                log.debug("{} from worker process {}", frame.command(), slot.pid);
            } else {
                log.warn("worker process {} sent {}, which a worker may not send; ignored", slot.pid, frame.command());
            }
            if (frame.fd() >= 0) {
                posix.closeQuietly(frame.fd());
            }
        }
    }

    private void announceServingOnce() {
        if (servingAnnounced) {
            return;
        }
        for (WorkerSlot s : table.occupied()) {
            if (s.generation == generation.number && s.state != WorkerState.READY) {
                return;
            }
        }
        servingAnnounced = true;
        log.info("serving: {} workers of generation {} ready", table.running().size(), generation.number);
        announce(e -> e.serving(control));
    }

    /** nginx's ngx_reap_children, for known pids only (waitpid(-1) would steal the JDK's children). */
    private void reapChildren() {
        for (WorkerSlot slot : table.running()) {
            WaitStatus status;
            try {
                status = posix.waitpid(slot.pid, true);
            } catch (PosixException e) {
                log.error("waitpid({}) failed: {}", slot.pid, e.getMessage());
                continue;
            }
            if (status != null) {
                workerExited(slot, status);
            }
        }
        reapSpares();
    }

    private void workerExited(WorkerSlot slot, WaitStatus status) {
        int pid = slot.pid;
        // The spare's PROMOTE before anything else: the clients queued on the listener since the worker died wait
        // for it, not for the log line, the siblings' CLOSE_CHANNEL or the extensions below (docs/BENCHMARKS.md).
        WorkerSlot promoted = refilledAtOnce(slot, status) ? sendPromote(slot) : null;
        if (status.exited() && status.exitCode() == 0) {
            log.info("worker process {} exited with code 0", pid);
        } else {
            log.warn("worker process {} {}", pid, status);
        }
        slot.lastExit = status;
        slot.pid = -1;
        if (slot.channel != null) {
            slot.channel.close();
            slot.channel = null;
        }
        posix.closeQuietly(slot.inboxWriteFd);
        slot.inboxWriteFd = -1;
        passCloseChannel(slot, pid);
        announce(e -> e.workerExited(control, slot, status));

        if (quitting || terminating || !slot.respawn) {
            if (promoted != null) {
                // An extension stopped the master meanwhile: the promoted spare stops with the other workers.
                takeOver(slot, promoted);
                slot.respawn = false;
                slot.state = WorkerState.EXITING;
                commands.send(slot, terminating ? ChannelFrame.terminate() : ChannelFrame.quit());
                return;
            }
            table.release(slot);
            return;
        }
        if (status.exited() && status.exitCode() == WorkerExit.FATAL) {
            log.error("worker process {} exited with fatal code {} and cannot be respawned", pid, WorkerExit.FATAL);
            table.release(slot);
            return;
        }
        long lived = System.nanoTime() - slot.startedAtNanos;
        // "Soon after it started": before READY (a JVM's start alone can take seconds on a busy host), or soon after.
        boolean servedLongEnough = slot.readyAtNanos != 0 && System.nanoTime() - slot.readyAtNanos >= STABLE_AFTER_NANOS;
        boolean crashed = isCrash(status);
        if (crashed) {
            countCrash();
        }
        if (!crashed || servedLongEnough) {
            // Killed from outside (SIGKILL, the OOM killer, SIGTERM = JVM status 143) or after a good life:
            // at once, as nginx does.
            slot.quickDeaths = 0;
            slot.respawnDueNanos = System.nanoTime();
        } else {
            slot.quickDeaths++;
            long delay = respawnDelay(slot);
            slot.respawnDueNanos = System.nanoTime() + delay;
            log.warn("worker in slot {} died {} ms after start; respawning in {} ms", slot.slot,
                    TimeUnit.NANOSECONDS.toMillis(lived), TimeUnit.NANOSECONDS.toMillis(delay));
        }
        slot.respawns++;
        if (promoted != null) {
            takeOver(slot, promoted);
        }
    }

    /**
     * Whether {@link #workerExited} refills the slot at once with nothing to count first: killed from outside or
     * ended cleanly (not a crash, not the fatal status), while the master runs on. Then a spare can be promoted
     * before the bookkeeping of the death; a crash goes the long way (it may back off, or stop the master).
     */
    private boolean refilledAtOnce(WorkerSlot slot, WaitStatus status) {
        return !quitting && !terminating && slot.respawn && !isCrash(status)
                && !(status.exited() && status.exitCode() == WorkerExit.FATAL);
    }

    /** "By its own doing": a non-zero exit other than 2 and 143, or a crash signal. */
    static boolean isCrash(WaitStatus status) {
        if (status.exited()) {
            int code = status.exitCode();
            return code != 0 && code != WorkerExit.FATAL && code != 128 + Signal.TERM.number;
        }
        Signal signal = Signal.of(status.termSignal());
        return signal != null && CRASH_SIGNALS.contains(signal);
    }

    /** PHP-FPM's emergency_restart_threshold: too many crashes in a window is loud, and may stop the master. */
    private void countCrash() {
        long now = System.nanoTime();
        long window = generation.config.workerCrashWindow().toNanos();
        recentCrashes.addLast(now);
        while (!recentCrashes.isEmpty() && now - recentCrashes.peekFirst() > window) {
            recentCrashes.removeFirst();
        }
        int crashes = recentCrashes.size();
        var limit = generation.config.workerCrashLimit();
        if (limit.isPresent() && crashes >= limit.getAsInt()) {
            log.error("{} workers crashed within {} s: worker_crash_limit reached, stopping the master", crashes,
                    generation.config.workerCrashWindow().toSeconds());
            exitStatus = 1;
            handleTerminate();
        } else if (crashes >= CRASH_ALERT_THRESHOLD) {
            log.error("{} workers crashed within {} s; respawns are backing off", crashes,
                    generation.config.workerCrashWindow().toSeconds());
        }
    }

    /**
     * The hung-worker watchdog. The master asks every ready worker for a heartbeat; a worker answers from
     * its event-loop thread, so a blocked loop stops answering. Past worker_watchdog_timeout the master asks
     * the JVM for a thread dump (SIGQUIT: it lands in the error log), then kills it; the slot is respawned.
     */
    private void watchWorkers() {
        var timeout = generation.config.workerWatchdogTimeout();
        if (timeout.isEmpty() || quitting || terminating) {
            return;
        }
        long now = System.nanoTime();
        for (WorkerSlot slot : table.running()) {
            if (slot.state == WorkerState.STARTING || slot.lastHeartbeatNanos == 0) {
                continue;
            }
            if (slot.watchdogKillAtNanos != 0) {
                if (now - slot.watchdogKillAtNanos >= 0) {
                    log.error("worker process {} is still hung; sending SIGKILL", slot.pid);
                    killQuietly(slot.pid, Signal.KILL);
                    slot.watchdogKillAtNanos = 0;
                    slot.respawn = slot.state != WorkerState.EXITING;
                }
            } else if (slot.state == WorkerState.READY && now - slot.lastHeartbeatNanos >= timeout.get().toNanos()) {
                log.error("worker process {} has not answered a heartbeat for {} ms; dumping its threads (SIGQUIT), "
                        + "then SIGKILL", slot.pid, (now - slot.lastHeartbeatNanos) / 1_000_000);
                killQuietly(slot.pid, Signal.QUIT);
                slot.watchdogKillAtNanos = now + WATCHDOG_DUMP_GRACE_NANOS;
            }
        }
        if (now - nextHeartbeatNanos >= 0) {
            for (WorkerSlot slot : table.running()) {
                if (slot.state == WorkerState.READY && slot.channel != null && !slot.channelClosed) {
                    try {
                        // A full channel is what a hung worker looks like: no fallback signal, the watchdog decides.
                        slot.channel.send(ChannelFrame.heartbeat(posix.getpid(), slot.slot));
                    } catch (ChannelException e) {
                        log.debug("heartbeat to worker process {}: {}", slot.pid, e.getMessage());
                    }
                }
            }
            nextHeartbeatNanos = now + heartbeatInterval(timeout.get().toNanos());
        }
    }

    /** A quarter of the timeout, at most 5 s: several answers can be missed before the watchdog acts. */
    static long heartbeatInterval(long timeoutNanos) {
        return Math.min(timeoutNanos / 4, TimeUnit.SECONDS.toNanos(5));
    }

    private void killQuietly(int pid, Signal signal) {
        try {
            posix.kill(pid, signal);
        } catch (PosixException e) {
            log.debug("kill({}, {}): {}", pid, signal.fullName(), e.getMessage());
        }
    }

    /** worker_respawn_backoff, doubling with each quick crash, capped at worker_respawn_backoff_max. */
    private static long respawnDelay(WorkerSlot slot) {
        return backoff(slot.spec.config, slot.quickDeaths);
    }

    /** worker_respawn_backoff after the first quick death, doubling with each further one, capped at the max. */
    static long backoff(MasterConfiguration c, int quickDeaths) {
        int doublings = Math.min(Math.max(quickDeaths - 1, 0), 30);
        long first = c.workerRespawnBackoff().toNanos();
        long max = c.workerRespawnBackoffMax().toNanos();
        return first > (max >> doublings) ? max : Math.min(first << doublings, max);
    }

    private void respawnDueWorkers() {
        if (quitting || terminating) {
            return;
        }
        long now = System.nanoTime();
        for (WorkerSlot slot : table.occupied()) {
            if (!slot.hasProcess() && slot.respawnDueNanos != 0 && now - slot.respawnDueNanos >= 0) {
                spawnInto(slot);
            }
        }
    }

    private void killRemaining() {
        List<WorkerSlot> remaining = new ArrayList<>(table.running());
        remaining.addAll(spares.running());
        for (WorkerSlot slot : remaining) {
            log.warn("worker process {} did not exit in time; sending SIGKILL", slot.pid);
            try {
                posix.kill(slot.pid, Signal.KILL);
            } catch (PosixException e) {
                log.debug("kill({}, SIGKILL): {}", slot.pid, e.getMessage());
            }
        }
        killDeadlineNanos = 0;
    }

    private void closeListeningSockets() {
        listeners.closeAll();
    }

    // ---- spares (worker_spares) ---------------------------------------------------------------

    /** READY's payload from a spare: "initialised, not serving" (a promoted worker's READY has none). */
    private static final byte[] SPARE_READY_PAYLOAD = "spare".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static boolean isSpareReady(ChannelFrame frame) {
        return java.util.Arrays.equals(frame.payload(), SPARE_READY_PAYLOAD);
    }

    private int sparesWanted() {
        if (quitting || terminating || workersRetired || generation == null) {
            return 0;
        }
        return generation.config.workerSpares();
    }

    /**
     * gunicorn's manage_workers for spares: retire extra ones, start missing ones — one at a time, and only while
     * no worker JVM starts (every running worker of the serving generation is ready, no reload under way), so that
     * a spare's JVM start never competes with a worker that is about to serve. A slot waiting out its crash-loop
     * backoff runs no process: a spare may start then, and the slot takes it over when its delay is up.
     */
    private void manageSpares() {
        int wanted = sparesWanted();
        List<WorkerSlot> usable = spares.usable();
        for (int i = usable.size() - 1; i >= wanted; i--) {
            WorkerSlot extra = usable.get(i);
            extra.state = WorkerState.EXITING;
            extra.respawn = false;
            commands.send(extra, ChannelFrame.quit());
        }
        if (usable.size() >= wanted || reload != null || spares.anyStarting()) {
            return;
        }
        for (WorkerSlot slot : table.occupied()) {
            if (slot.generation == generation.number && slot.state == WorkerState.STARTING && slot.hasProcess()) {
                return;
            }
        }
        long now = System.nanoTime();
        if (spares.spawnDueNanos != 0 && now - spares.spawnDueNanos < 0) {
            return;
        }
        WorkerSlot spare = spares.allocate();
        try {
            spawner.spawnSpare(spare, generation);
        } catch (PosixException e) {
            spares.release(spare);
            spares.quickDeaths++;
            spares.spawnDueNanos = now + spareBackoff();
            log.error("could not spawn a spare worker: {}", e.getMessage());
            return;
        }
        spares.spawnDueNanos = 0;
        log.info("start spare worker process {} (spare {}, generation {})", spare.pid, spare.slot, generation.number);
    }

    private void spareReady(WorkerSlot slot, ChannelFrame frame) {
        if (!slot.spare) {
            // Sent as a spare before it read its PROMOTE; the promoted worker's own READY follows.
            log.debug("worker process {} (slot {}) reported ready as a spare, before its promotion", slot.pid, slot.slot);
            return;
        }
        if (slot.state == WorkerState.STARTING) {
            slot.state = WorkerState.READY;
            slot.readyAtNanos = System.nanoTime();
            slot.lastHeartbeatNanos = slot.readyAtNanos;
            spares.quickDeaths = 0;
            log.info("spare worker process {} (spare {}) ready in {} ms", slot.pid, slot.slot,
                    TimeUnit.NANOSECONDS.toMillis(slot.readyAtNanos - slot.startedAtNanos));
        }
    }

    /**
     * Instead of a JVM start: the best spare for the slot's generation takes the slot over with one PROMOTE frame
     * (the configuration as a memfd, the generation and the slot's CPUs); the slot then waits for its READY as for
     * a fresh worker, and siblings learn of it by OPEN_CHANNEL as of a fresh worker. False when no spare fits, or
     * the frame cannot be written (that spare is then stopped): the caller spawns.
     */
    private boolean promoteSpareInto(WorkerSlot slot) {
        WorkerSlot spare = sendPromote(slot);
        if (spare == null) {
            return false;
        }
        takeOver(slot, spare);
        return true;
    }

    /**
     * The first half of {@link #promoteSpareInto}: PROMOTE to the best spare for the slot's generation, which leaves
     * the spares. The spare, or null when none fits or the frame cannot be written (that spare is then stopped).
     */
    private WorkerSlot sendPromote(WorkerSlot slot) {
        WorkerSlot spare = spares.bestFor(slot.spec);
        if (spare == null) {
            return null;
        }
        java.util.BitSet cpus = Spawner.affinityFor(slot.slot, slot.spec);
        ChannelFrame promote;
        int configFd = posix.memfd("masterwork-config", slot.spec.configJson);
        try {
            promote = ChannelFrame.promote(posix.getpid(), slot.slot, configFd,
                    new io.masterwork.channel.Promotion(slot.spec.number, cpus == null ? new java.util.BitSet() : cpus));
            if (!spare.channel.send(promote)) {
                throw new ChannelException("its channel is full (EAGAIN)", null);
            }
        } catch (ChannelException e) {
            log.warn("cannot promote spare worker process {}: {}; starting a new worker instead", spare.pid, e.getMessage());
            spare.state = WorkerState.EXITING;
            spare.respawn = false;
            commands.send(spare, ChannelFrame.terminate());
            return null;
        } finally {
            posix.closeQuietly(configFd);
        }
        spares.release(spare);
        return spare;
    }

    /** The second half of {@link #promoteSpareInto}: the promoted spare's process fills the slot. */
    private void takeOver(WorkerSlot slot, WorkerSlot spare) {
        long now = System.nanoTime();
        log.info("start worker process {} (slot {}): spare {} promoted, {} ms after its spawn{}", spare.pid, slot.slot,
                spare.slot, TimeUnit.NANOSECONDS.toMillis(now - spare.startedAtNanos),
                spare.state == WorkerState.READY ? "" : " (still starting)");
        slot.pid = spare.pid;
        slot.channel = spare.channel;
        slot.inboxWriteFd = spare.inboxWriteFd;
        slot.channelClosed = spare.channelClosed;
        slot.generation = slot.spec.number;
        slot.state = WorkerState.STARTING;
        slot.respawn = true;
        slot.startedAtNanos = now;
        slot.readyAtNanos = 0;
        slot.lastHeartbeatNanos = 0;
        slot.watchdogKillAtNanos = 0;
        slot.respawnDueNanos = 0;
        passOpenChannel(slot);
    }

    /** Stops spares with {@code frame}: all of them, or (with a generation) those that cannot serve it. */
    private void retireSpares(ChannelFrame frame, WorkerGeneration keepFor) {
        for (WorkerSlot spare : spares.usable()) {
            String why = keepFor == null ? null : SpareWorkers.incompatibility(spare.spec, keepFor);
            if (keepFor != null && why == null) {
                continue;
            }
            if (why != null) {
                log.info("spare worker process {} cannot serve generation {} ({}): replacing it", spare.pid,
                        keepFor.number, why);
            }
            spare.state = WorkerState.EXITING;
            spare.respawn = false;
            commands.send(spare, frame);
        }
    }

    private void reapSpares() {
        for (WorkerSlot spare : spares.running()) {
            WaitStatus status;
            try {
                status = posix.waitpid(spare.pid, true);
            } catch (PosixException e) {
                log.error("waitpid({}) failed: {}", spare.pid, e.getMessage());
                continue;
            }
            if (status != null) {
                spareExited(spare, status);
            }
        }
    }

    private void spareExited(WorkerSlot spare, WaitStatus status) {
        if (status.exited() && status.exitCode() == 0) {
            log.info("spare worker process {} exited with code 0", spare.pid);
        } else {
            log.warn("spare worker process {} {}", spare.pid, status);
        }
        boolean expected = spare.state == WorkerState.EXITING;
        boolean diedBeforeReady = spare.readyAtNanos == 0;
        if (spare.channel != null) {
            spare.channel.close();
            spare.channel = null;
        }
        posix.closeQuietly(spare.inboxWriteFd);
        spare.inboxWriteFd = -1;
        spare.pid = -1;
        spares.release(spare);
        if (expected || quitting || terminating) {
            return;
        }
        if (diedBeforeReady || isCrash(status) || (status.exited() && status.exitCode() == WorkerExit.FATAL)) {
            // A spare that cannot start would otherwise be restarted in a tight loop: back off as a slot does.
            spares.quickDeaths++;
            long delay = spareBackoff();
            spares.spawnDueNanos = System.nanoTime() + delay;
            log.warn("the next spare worker starts in {} ms", TimeUnit.NANOSECONDS.toMillis(delay));
        } else {
            spares.spawnDueNanos = 0;
        }
    }

    private long spareBackoff() {
        return backoff(generation.config, spares.quickDeaths);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private int[] watchedDescriptors(MasterSignals signals) {
        List<Integer> fds = new ArrayList<>();
        fds.add(signals.fd());
        List<WorkerSlot> withChannels = new ArrayList<>(table.running());
        withChannels.addAll(spares.running());
        for (WorkerSlot slot : withChannels) {
            if (slot.channel != null && !slot.channelClosed) {
                fds.add(slot.channel.fd());
            }
        }
        for (MasterExtension extension : extensions) {
            for (int fd : extension.descriptors()) {
                fds.add(fd);
            }
        }
        return fds.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Until the nearest named timer (a respawn due, a kill or reload deadline, the watchdog's heartbeat, an
     * extension's), or forever: signals (CHLD included) and channel EOFs wake the poll, so an idle master
     * costs no CPU.
     */
    private int pollTimeoutMillis() {
        long now = System.nanoTime();
        long wait = Long.MAX_VALUE;
        boolean anyExitedUnreaped = false;
        for (WorkerSlot slot : table.occupied()) {
            if (!slot.hasProcess() && slot.respawnDueNanos != 0) {
                wait = Math.min(wait, slot.respawnDueNanos - now);
            }
            if (slot.channelClosed && slot.hasProcess()) {
                anyExitedUnreaped = true;
            }
        }
        for (WorkerSlot spare : spares.running()) {
            if (spare.channelClosed) {
                anyExitedUnreaped = true;
            }
        }
        if (sparesWanted() > spares.usable().size() && spares.spawnDueNanos != 0) {
            wait = Math.min(wait, spares.spawnDueNanos - now);
        }
        if (killDeadlineNanos != 0) {
            wait = Math.min(wait, killDeadlineNanos - now);
        }
        if (reload != null) {
            wait = Math.min(wait, reload.deadlineNanos - now);
        }
        if (generation != null && generation.config.workerWatchdogTimeout().isPresent()) {
            wait = Math.min(wait, nextHeartbeatNanos - now);
            for (WorkerSlot slot : table.running()) {
                if (slot.watchdogKillAtNanos != 0) {
                    wait = Math.min(wait, slot.watchdogKillAtNanos - now);
                }
            }
        }
        for (MasterExtension extension : extensions) {
            long due = extension.nextTimerNanos();
            if (due != Long.MAX_VALUE) {
                wait = Math.min(wait, due - now);
            }
        }
        if (anyExitedUnreaped) {
            // EOF came before the process was a zombie; CHLD will wake us, but do not depend on one CHLD per exit.
            wait = Math.min(wait, TimeUnit.MILLISECONDS.toNanos(50));
        }
        if (wait == Long.MAX_VALUE) {
            return -1;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, TimeUnit.NANOSECONDS.toMillis(wait + 999_999)));
    }

    private UserInfo resolveWorkerUser(MasterConfiguration config) {
        UserInfo user = WorkerUser.resolve(posix, config);
        WorkerReadableFiles.check(user, config);
        if (user != null) {
            // Inherited through posix_spawn by every thread of every worker JVM (it is per thread, and a JVM starts
            // threads before a worker's init could set it); a root master gains nothing by execve anyway.
            posix.setNoNewPrivileges();
        }
        return user;
    }

    private static void setMasterTitle() {
        List<String> argv = ProcessTitle.commandLine();
        int main = argv.indexOf(MASTER_MAIN_CLASS);
        StringBuilder title = new StringBuilder("masterwork: master process ");
        String launcher = System.getenv("MASTERWORK_LAUNCHER");
        title.append(launcher != null ? launcher : "masterwork");
        for (int i = main + 1; main >= 0 && i < argv.size(); i++) {
            title.append(' ').append(argv.get(i));
        }
        ProcessTitle.set(title.toString());
    }

    /** For the control socket and tests: the table as it is now. */
    public ProcessTable processTable() {
        return table;
    }

    /** The master as extensions see and steer it. */
    private final class Control implements MasterControl {
        @Override
        public int pid() {
            return posix.getpid();
        }

        @Override
        public long generation() {
            return generation.number;
        }

        @Override
        public List<java.net.InetSocketAddress> listeners() {
            List<java.net.InetSocketAddress> out = new ArrayList<>();
            listeners.byAddress().values().forEach(fd -> out.add(posix.localAddress(fd)));
            return out;
        }

        @Override
        public List<WorkerSlot> workers() {
            return table.occupied();
        }

        @Override
        public int desiredWorkers() {
            return MasterProcessCycle.this.desiredWorkers();
        }

        @Override
        public List<WorkerSlot> spares() {
            return spares.running();
        }

        @Override
        public int desiredSpares() {
            return generation.config.workerSpares();
        }

        @Override
        public boolean reloading() {
            return reload != null || retiringGeneration >= 0;
        }

        @Override
        public boolean stopping() {
            return quitting || terminating;
        }

        @Override
        public long startedAtMillis() {
            return startedAtMillis;
        }

        @Override
        public long reloads() {
            return reloads;
        }

        @Override
        public long failedReloads() {
            return failedReloads;
        }

        @Override
        public String lastReloadResult() {
            return lastReloadResult;
        }

        @Override
        public void reload(Consumer<ReloadOutcome> done) {
            if (quitting || terminating) {
                done.accept(new ReloadOutcome(false, generation.number, "the master is shutting down"));
                return;
            }
            reloadRequesters.add(done);
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
