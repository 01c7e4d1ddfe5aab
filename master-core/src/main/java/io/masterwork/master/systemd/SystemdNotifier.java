package io.masterwork.master.systemd;

import io.masterwork.master.process.MasterControl;
import io.masterwork.master.process.MasterExtension;
import io.masterwork.master.process.MasterView;
import io.masterwork.master.process.UpgradeHandover;
import io.masterwork.master.process.WorkerSlot;
import io.masterwork.master.process.WorkerState;
import io.masterwork.posix.Posix;
import io.masterwork.posix.WaitStatus;
import jakarta.inject.Inject;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's notify protocol (sd_notify(3)) spoken by the master: READY=1 once every worker serves,
 * RELOADING=1 + MONOTONIC_USEC at the start of a reload and READY=1 when the new generation serves (or the
 * reload failed), STOPPING=1 on shutdown, WATCHDOG=1 at half of WATCHDOG_USEC, and a STATUS= line a person
 * reads in {@code systemctl status}. One non-blocking datagram per event, sent from the master thread: a
 * full or missing notify socket never stalls the master, and a failed send is logged once, never fatal.
 * Without NOTIFY_SOCKET nothing is sent and no descriptor is opened. Workers never see NOTIFY_SOCKET (the
 * spawner drops it): only the master speaks for the service.
 */
public final class SystemdNotifier implements MasterExtension {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    /** systemd reads STATUS= as one line; a configuration error can be long. */
    static final int MAX_STATUS_CHARS = 500;

    private final Posix posix;
    /** An absolute path or an abstract name ("@..."), or null: not started by systemd. */
    private final String socketPath;
    /** Half of WATCHDOG_USEC, or 0 when systemd's watchdog is not asking this process. */
    private final long watchdogPeriodNanos;
    private long nextWatchdogNanos = Long.MAX_VALUE;
    private int fd = -1;
    private boolean failing;
    /** Started by an old master's binary upgrade: the old one stays the service's main process until it hands over. */
    private final int predecessorPid;
    /** As an old master: the new master of an upgrade under way, or 0. */
    private int successorPid;
    /** As an old master: MAINPID= named the new master; this one's exit is no longer the service's. */
    private boolean handedOver;
    /**
     * As a new master: its old master (its parent) is gone, so systemd's main process is this one. Until then
     * nothing is sent: with NotifyAccess=main systemd drops what any other process says (and a rollback would
     * keep the old master the main process).
     */
    private boolean succeeded;
    private long nextSuccessionCheckNanos = Long.MAX_VALUE;
    private static final long SUCCESSION_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    @Inject
    public SystemdNotifier(Posix posix) {
        this(posix, System.getenv());
    }

    SystemdNotifier(Posix posix, Map<String, String> environment) {
        this.posix = posix;
        this.socketPath = notifySocket(environment.get("NOTIFY_SOCKET"));
        this.predecessorPid = predecessor(posix, environment);
        this.watchdogPeriodNanos = socketPath == null ? 0 : watchdogPeriod(environment, posix.getpid(), predecessorPid);
        if (watchdogPeriodNanos > 0) {
            nextWatchdogNanos = System.nanoTime();
        }
        if (predecessorPid > 0 && socketPath != null) {
            nextSuccessionCheckNanos = System.nanoTime();
        }
    }

    private static String notifySocket(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.startsWith("/") || value.startsWith("@") && value.length() > 1) {
            return value;
        }
        log.warn("NOTIFY_SOCKET=\"{}\" is neither an absolute path nor an abstract name (@...); systemd will not be notified",
                value);
        return null;
    }

    /**
     * The old master of a real upgrade hand-over: named by the environment AND this process's parent (the master
     * checks the same before it adopts the listeners). A name alone, inherited or set by hand, would make this master
     * wait for another process's exit before it speaks to systemd, and report that process as its predecessor.
     */
    private static int predecessor(Posix posix, Map<String, String> environment) {
        try {
            int named = UpgradeHandover.fromEnvironment(environment).map(UpgradeHandover::oldPid).orElse(0);
            return named > 1 && named == posix.getppid() ? named : 0;
        } catch (IllegalStateException e) {
            return 0; // the master itself refuses a malformed hand-over
        }
    }

    /**
     * sd_watchdog_enabled(3): WATCHDOG_USEC, for this process when WATCHDOG_PID is unset or names it (or names
     * the old master this one succeeds on a binary upgrade: systemd's main process once it hands over).
     */
    private static long watchdogPeriod(Map<String, String> environment, int pid, int predecessorPid) {
        String usec = environment.get("WATCHDOG_USEC");
        if (usec == null || usec.isEmpty()) {
            return 0;
        }
        String watchdogPid = environment.get("WATCHDOG_PID");
        if (watchdogPid != null && !watchdogPid.trim().equals(Integer.toString(pid))
                && !(predecessorPid > 0 && watchdogPid.trim().equals(Integer.toString(predecessorPid)))) {
            log.debug("WATCHDOG_PID={} is not this process ({}); no watchdog pings", watchdogPid, pid);
            return 0;
        }
        long micros;
        try {
            micros = Long.parseLong(usec.trim());
        } catch (NumberFormatException e) {
            micros = 0;
        }
        if (micros <= 0) {
            log.warn("WATCHDOG_USEC=\"{}\" is not a positive number of microseconds; no watchdog pings", usec);
            return 0;
        }
        log.info("systemd's watchdog expects a sign of life every {} ms; pinging every {} ms", micros / 1000, micros / 2000);
        return TimeUnit.MICROSECONDS.toNanos(micros) / 2;
    }

    /** Whether this master was started with a notify socket to speak to. */
    public boolean enabled() {
        return socketPath != null;
    }

    @Override
    public void started(MasterControl master) {
        notify("STATUS=starting " + master.desiredWorkers() + " workers on " + addresses(master));
    }

    @Override
    public void serving(MasterControl master) {
        if (predecessorPid > 0) {
            // A binary upgrade's new master: the old one is still systemd's main process (a rollback may keep
            // it so); it names this one with MAINPID= when it hands over, and the timer notices its exit.
            notify("STATUS=new master (binary upgrade from " + predecessorPid + ") " + servingStatus(master));
            return;
        }
        notify("READY=1\nMAINPID=" + master.pid() + "\nSTATUS=" + servingStatus(master));
    }

    @Override
    public void upgradeStarted(MasterControl master, int newMaster) {
        successorPid = newMaster;
        notify("STATUS=binary upgrade: new master " + newMaster + " starting beside this one (" + master.pid() + ")");
    }

    @Override
    public void upgradeRolledBack(MasterControl master) {
        successorPid = 0;
        notify("STATUS=binary upgrade rolled back; " + servingStatus(master));
    }

    @Override
    public void reloadStarted(MasterControl master) {
        // systemd ties RELOADING=1 to the moment the reload began (CLOCK_MONOTONIC) to tell it from a stale one.
        notify("RELOADING=1\nMONOTONIC_USEC=" + monotonicMicros() + "\nSTATUS=reloading: starting generation "
                + (master.generation() + 1) + " while generation " + master.generation() + " serves");
    }

    /**
     * READY=1 at commit, not at completion: the new configuration serves from this moment, which is what a
     * reload promises; the old generation only finishes its in-flight requests (up to worker_shutdown_timeout),
     * as nginx's old workers do after nginx -s reload has returned. A second reload may also commit before the
     * first old generation is gone, and each RELOADING=1 must be answered by its own READY=1.
     */
    @Override
    public void reloadCommitted(MasterControl master) {
        notify("READY=1\nSTATUS=" + servingStatus(master) + "; generation " + (master.generation() - 1) + " finishing its requests");
    }

    @Override
    public void reloadCompleted(MasterControl master) {
        notify("STATUS=" + servingStatus(master));
    }

    /** Also when the new configuration was rejected before any RELOADING=1: a READY=1 then changes nothing. */
    @Override
    public void reloadFailed(MasterControl master, String reason) {
        notify("READY=1\nSTATUS=reload failed, generation " + master.generation() + " goes on serving: " + reason);
    }

    @Override
    public void workerExited(MasterControl master, WorkerSlot slot, WaitStatus status) {
        if (!master.stopping() && !(status.exited() && status.exitCode() == 0)) {
            notify("STATUS=" + servingStatus(master) + "; last worker exit: " + status);
        }
    }

    /**
     * On the way out during a binary upgrade whose new master lives, this master hands the service over
     * (MAINPID=, sent while it is still the main process, so NotifyAccess=main would do) and does not say
     * STOPPING=1: the service goes on. Otherwise the service is stopping.
     */
    @Override
    public void stopping(MasterControl master, boolean graceful) {
        if (successorPid > 0 && posix.isAlive(successorPid)) {
            handedOver = true;
            notify("MAINPID=" + successorPid + "\nSTATUS=handed over to the new master " + successorPid
                    + "; the old master " + master.pid() + " is " + (graceful ? "finishing its requests" : "exiting"));
            return;
        }
        int workers = (int) master.workers().stream().filter(WorkerSlot::hasProcess).count();
        notify("STOPPING=1\nSTATUS=" + (graceful
                ? "graceful shutdown: " + workers + " workers finishing their requests"
                : "fast shutdown: stopping " + workers + " workers"));
    }

    @Override
    public void stopped(MasterControl master) {
        if (!handedOver) {
            notify("STATUS=stopped");
        }
        nextWatchdogNanos = Long.MAX_VALUE;
        if (fd >= 0) {
            posix.closeQuietly(fd);
            fd = -1;
        }
    }

    @Override
    public long nextTimerNanos() {
        return Math.min(nextWatchdogNanos, nextSuccessionCheckNanos);
    }

    @Override
    public void timer(MasterControl master) {
        long now = System.nanoTime();
        if (now - nextSuccessionCheckNanos >= 0) {
            nextSuccessionCheckNanos = now + SUCCESSION_CHECK_NANOS;
            if (isMainProcess()) {
                nextSuccessionCheckNanos = Long.MAX_VALUE;
                notify("STATUS=" + servingStatus(master) + " (the service's main process since the old master "
                        + predecessorPid + " handed over)");
            }
        }
        if (now - nextWatchdogNanos >= 0) {
            nextWatchdogNanos = now + watchdogPeriodNanos;
            notify("WATCHDOG=1");
        }
    }

    /**
     * Whether systemd takes this process's word: always, unless it is a binary upgrade's new master whose old master
     * (its parent) still lives. The old master says MAINPID= before it exits; its exit reparents this one.
     */
    private boolean isMainProcess() {
        if (predecessorPid <= 0 || succeeded) {
            return true;
        }
        if (posix.getppid() == predecessorPid && posix.isAlive(predecessorPid)) {
            return false;
        }
        succeeded = true;
        log.info("the old master {} is gone: this master speaks for the systemd service now", predecessorPid);
        return true;
    }

    /**
     * CLOCK_MONOTONIC in microseconds, as MONOTONIC_USEC wants it. HotSpot on Linux implements
     * System.nanoTime() as clock_gettime(CLOCK_MONOTONIC) with no offset, so any process on the host reads
     * the same clock (checked against clock_gettime(CLOCK_MONOTONIC) of another process; SystemdIT checks
     * that the value lies between two readings of the test JVM).
     */
    static long monotonicMicros() {
        return TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
    }

    private static String servingStatus(MasterView master) {
        long ready = master.workers().stream()
                .filter(w -> w.generation() == master.generation() && w.state() == WorkerState.READY).count();
        return "serving on " + addresses(master) + ": " + ready + "/" + master.desiredWorkers()
                + " workers ready (generation " + master.generation() + ", " + master.reloads() + " reloads)";
    }

    private static String addresses(MasterView master) {
        return master.listeners().stream().map(SystemdNotifier::address).collect(Collectors.joining(", "));
    }

    private static String address(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** One datagram; STATUS= kept to one bounded line. Never throws: systemd's absence is no reason to stop. */
    void notify(String message) {
        if (socketPath == null) {
            return;
        }
        String datagram = boundStatus(message);
        if (!isMainProcess()) {
            // systemd (NotifyAccess=main) would drop it: the old master is the main process until it hands over.
            log.debug("not notifying systemd while the old master {} is its main process: {}", predecessorPid,
                    datagram.replace('\n', ' '));
            return;
        }
        try {
            if (fd < 0) {
                fd = posix.unixDatagramSocket();
                posix.setNonBlocking(fd, true);
            }
            posix.sendTo(fd, socketPath, ByteBuffer.wrap(datagram.getBytes(StandardCharsets.UTF_8)));
            if (failing) {
                failing = false;
                log.info("systemd's notify socket {} accepts notifications again", socketPath);
            }
            log.debug("notified systemd: {}", datagram.replace('\n', ' '));
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                log.warn("cannot notify systemd through {} ({}); the master goes on, and logs the next failures at debug level",
                        socketPath, e.getMessage());
            } else {
                log.debug("cannot notify systemd through {}: {}", socketPath, e.getMessage());
            }
        }
    }

    static String boundStatus(String message) {
        int at = message.indexOf("STATUS=");
        if (at < 0) {
            return message;
        }
        String status = message.substring(at + "STATUS=".length()).replace('\r', ' ').replace('\n', ' ');
        if (status.length() > MAX_STATUS_CHARS) {
            status = status.substring(0, MAX_STATUS_CHARS - 3) + "...";
        }
        return message.substring(0, at) + "STATUS=" + status;
    }
}
