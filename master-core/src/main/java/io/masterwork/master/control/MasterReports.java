package io.masterwork.master.control;

import io.masterwork.channel.WorkerFigures;
import io.masterwork.master.Version;
import io.masterwork.master.process.MasterControl;
import io.masterwork.master.process.MasterExtension;
import io.masterwork.master.process.WorkerSlot;
import io.masterwork.master.process.WorkerState;
import io.masterwork.posix.Signal;
import io.masterwork.posix.WaitStatus;
import io.prometheus.metrics.core.metrics.Histogram;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * What the master reports about itself, for the control socket ({@code status}, {@code metrics}) and the status
 * page ({@code /status}, {@code /metrics}): the history the process table forgets (respawns with their cause,
 * reloads with their duration and outcome), the workers' own figures, and the totals that must survive a worker's
 * replacement. An extension itself, so it hears every exit and reload; everything runs on the master thread.
 *
 * <p>Workers' figures are gathered when someone asks: {@link #collect} sends REPORT to every ready worker and
 * answers once each answered or {@link #FIGURES_DEADLINE} passed, never waiting on the loop. A worker that did not
 * answer in time is reported as such, with the figures it gave last.
 */
public final class MasterReports implements MasterExtension {
    /** How long a scrape waits for the workers' figures: a worker that answers heartbeats answers within ms. */
    static final Duration FIGURES_DEADLINE = Duration.ofMillis(500);
    /**
     * The Content-Type of {@link #metricsText}: Prometheus' text format, as its writer names it (a literal, so that
     * naming it loads none of Prometheus' classes; MasterReportsTest holds it to the writer's).
     */
    public static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Events kept for the page: enough for the last minutes of a bad day, bounded. */
    static final int HISTORY_EVENTS = 100;

    private final String version = Version.get();
    private final WorkerHistory respawnHistory = new WorkerHistory();
    private final Map<String, Long> respawnsByCause = new TreeMap<>(Map.of("crash", 0L, "killed", 0L, "watchdog", 0L));
    private long crashBackoffs;
    private final Deque<Event> events = new ArrayDeque<>();
    /**
     * Built at the first scrape, not before: the master's start and its loop's events load none of Prometheus'
     * classes (a reload's commit, heard here before the old workers are told to quit, must cost nothing).
     */
    private Histogram reloadDurations;
    /** Committed reloads' durations not yet observed by {@link #reloadDurations}. */
    private final List<Double> unobservedReloadSeconds = new ArrayList<>();
    private long reloadStartedNanos;

    /** The last figures of each live worker, by pid. */
    private final Map<Integer, Reported> live = new HashMap<>();
    /** Per slot: the counters of every worker that served in it and exited, added up. */
    private final Map<Integer, Counters> retired = new TreeMap<>();
    /** Pids the watchdog found hung, as of the last loop turn: their SIGKILL is the watchdog's doing. */
    private final Set<Integer> hung = new HashSet<>();
    private final List<Collection> pending = new ArrayList<>();
    private final List<Gauge> clientGauges = new ArrayList<>();
    private MasterControl master;

    @Inject
    public MasterReports() {
    }

    /** A figure another extension contributes to the metrics (its clients), as a gauge. */
    record Gauge(String name, String help, IntSupplier value) {
    }

    /** One entry of the page's history. {@code pid} is -1 for a reload; {@code seconds} -1 when not timed. */
    record Event(long atMillis, String kind, long slotOrGeneration, int pid, String outcome, double seconds,
                 String detail) {
    }

    /** The figures one worker reported last, and where it served. */
    record Reported(int slot, long generation, WorkerFigures figures, boolean answeredLast) {
    }

    /** Counters that only grow, added up over a slot's exited workers. */
    record Counters(long requests, long moved, long adopted, long sent, long received, long gcCollections,
                    long gcMillis) {
        static final Counters ZERO = new Counters(0, 0, 0, 0, 0, 0, 0);

        Counters plus(WorkerFigures f) {
            return new Counters(requests + f.requests(), moved + f.connectionsMoved(), adopted + f.connectionsAdopted(),
                    sent + f.siblingMessagesSent(), received + f.siblingMessagesReceived(),
                    gcCollections + f.gcCollections(), gcMillis + f.gcTimeMillis());
        }
    }

    /** One request for the workers' figures under way. */
    private static final class Collection {
        final Set<Integer> awaited;
        final long deadlineNanos;
        final Runnable done;

        Collection(Set<Integer> awaited, long deadlineNanos, Runnable done) {
            this.awaited = awaited;
            this.deadlineNanos = deadlineNanos;
            this.done = done;
        }
    }

    // ---- what other extensions ask -------------------------------------------------------------------------

    /** Adds a gauge of another extension (the control socket's clients, the status page's) to the metrics. */
    public void gauge(String name, String help, IntSupplier value) {
        clientGauges.add(new Gauge(name, help, value));
    }

    /**
     * Asks every serving worker for its figures and runs {@code done} once they all answered or the deadline
     * passed; at once when there is no worker to ask. Never waits.
     */
    public void collect(MasterControl control, Runnable done) {
        this.master = control;
        Set<Integer> asked = new HashSet<>(control.askWorkersForFigures());
        for (Integer pid : asked) {
            // Until it answers, a worker counts as not having answered this round.
            Reported before = live.get(pid);
            if (before != null) {
                live.put(pid, new Reported(before.slot(), before.generation(), before.figures(), false));
            }
        }
        if (asked.isEmpty()) {
            done.run();
            return;
        }
        pending.add(new Collection(asked, System.nanoTime() + FIGURES_DEADLINE.toNanos(), done));
    }

    /** The metrics, Prometheus' text format (after {@link #collect}, with the workers' figures). */
    public String metricsText(MasterControl control) {
        respawnHistory.fold(control, System.nanoTime());
        forgetGone(control);
        return MetricsExposition.render(control, this, version, System.currentTimeMillis());
    }

    /** The control socket's {@code status}, and {@code /status}: the master, its workers and the history, JSON. */
    public String statusJson(MasterControl control) {
        respawnHistory.fold(control, System.nanoTime());
        forgetGone(control);
        return StatusReport.render(control, this, version, System.nanoTime(), System.currentTimeMillis());
    }

    // ---- what MetricsExposition and StatusReport read --------------------------------------------------------

    long respawnsTotal() {
        return respawnHistory.respawnsTotal();
    }

    Map<String, Long> respawnsByCause() {
        return respawnsByCause;
    }

    long crashBackoffs() {
        return crashBackoffs;
    }

    Histogram reloadDurations() {
        if (reloadDurations == null) {
            reloadDurations = Histogram.builder()
                    .name("masterwork_reload_duration_seconds")
                    .help("Seconds from a reload's start to its new generation serving (committed reloads).")
                    .classicUpperBounds(0.25, 0.5, 1, 2, 5, 10, 30, 60)
                    .classicOnly()
                    .build();
        }
        unobservedReloadSeconds.forEach(reloadDurations::observe);
        unobservedReloadSeconds.clear();
        return reloadDurations;
    }

    List<Gauge> gauges() {
        return clientGauges;
    }

    List<Event> events() {
        return List.copyOf(events);
    }

    /** The last figures of the worker {@code pid}, or null when it never answered. */
    Reported reported(int pid) {
        return live.get(pid);
    }

    /** Slots that had workers which exited, with their counters added up. */
    Map<Integer, Counters> retired() {
        return retired;
    }

    /** The slot's counters of its exited workers (zero when none). */
    Counters retired(int slot) {
        return retired.getOrDefault(slot, Counters.ZERO);
    }

    /** A worker whose exit the master lost (waitpid said ECHILD) still hands its last figures to its slot. */
    private void forgetGone(MasterControl control) {
        Set<Integer> running = new HashSet<>();
        for (WorkerSlot slot : control.workers()) {
            if (slot.hasProcess()) {
                running.add(slot.pid());
            }
        }
        for (Iterator<Map.Entry<Integer, Reported>> it = live.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Reported> e = it.next();
            if (!running.contains(e.getKey())) {
                retire(e.getValue());
                it.remove();
            }
        }
    }

    private void retire(Reported last) {
        retired.merge(last.slot(), Counters.ZERO.plus(last.figures()), (a, b) -> new Counters(
                a.requests() + b.requests(), a.moved() + b.moved(), a.adopted() + b.adopted(), a.sent() + b.sent(),
                a.received() + b.received(), a.gcCollections() + b.gcCollections(), a.gcMillis() + b.gcMillis()));
    }

    // ---- the master's events ---------------------------------------------------------------------------------

    @Override
    public void started(MasterControl control) {
        this.master = control;
        respawnHistory.fold(control, System.nanoTime());
    }

    @Override
    public int[] descriptors() {
        if (master != null) {
            // Called at the top of every loop turn: the cheapest place to keep the history current.
            respawnHistory.fold(master, System.nanoTime());
            hung.clear();
            for (WorkerSlot slot : master.workers()) {
                if (slot.hung()) {
                    hung.add(slot.pid());
                }
            }
        }
        return new int[0];
    }

    @Override
    public void workerReported(MasterControl control, WorkerSlot slot, WorkerFigures figures) {
        int pid = slot.pid();
        if (pid <= 0) {
            return;
        }
        live.put(pid, new Reported(slot.slot(), slot.generation(), figures, true));
        answered(pid);
    }

    /** {@code pid} answered or is gone: every scrape that waited only for it answers now. */
    private void answered(int pid) {
        for (Collection c : List.copyOf(pending)) {
            if (c.awaited.remove(pid) && c.awaited.isEmpty()) {
                pending.remove(c);
                c.done.run();
            }
        }
    }

    @Override
    public void workerExited(MasterControl control, WorkerSlot slot, WaitStatus status) {
        int pid = status.pid();
        Reported last = live.remove(pid);
        if (last != null) {
            retire(last);
        }
        answered(pid);
        respawnHistory.fold(control, System.nanoTime());
        if (slot.state() != WorkerState.RESPAWNING) {
            return; // retired, or no longer wanted: not a respawn
        }
        String cause = cause(pid, status);
        respawnsByCause.merge(cause, 1L, Long::sum);
        long backoff = slot.respawnInMillis();
        if (backoff > 0) {
            crashBackoffs++;
        }
        remember(new Event(System.currentTimeMillis(), "respawn", slot.slot(), pid, cause, -1,
                status + (backoff > 0 ? ", respawn backed off " + backoff + " ms" : "")));
    }

    private String cause(int pid, WaitStatus status) {
        if (hung.contains(pid)) {
            return "watchdog";
        }
        if (status.signaled()) {
            Signal signal = Signal.of(status.termSignal());
            if (signal == Signal.KILL || signal == Signal.TERM || signal == Signal.INT) {
                return "killed";
            }
            return "crash";
        }
        // 143: the JVM's orderly exit on SIGTERM from outside.
        return status.exited() && status.exitCode() == 128 + Signal.TERM.number ? "killed" : "crash";
    }

    @Override
    public void reloadStarted(MasterControl control) {
        reloadStartedNanos = System.nanoTime();
    }

    @Override
    public void reloadCommitted(MasterControl control) {
        double seconds = reloadSeconds();
        if (seconds >= 0) {
            unobservedReloadSeconds.add(seconds);
        }
        remember(new Event(System.currentTimeMillis(), "reload", control.generation(), -1, "ok", seconds,
                "generation " + control.generation() + " serving"));
    }

    @Override
    public void reloadFailed(MasterControl control, String reason) {
        remember(new Event(System.currentTimeMillis(), "reload", control.generation(), -1, "failed", reloadSeconds(),
                reason));
    }

    private double reloadSeconds() {
        if (reloadStartedNanos == 0) {
            return -1;
        }
        double seconds = (System.nanoTime() - reloadStartedNanos) / 1e9;
        reloadStartedNanos = 0;
        return seconds;
    }

    private void remember(Event event) {
        events.addLast(event);
        while (events.size() > HISTORY_EVENTS) {
            events.removeFirst();
        }
    }

    @Override
    public long nextTimerNanos() {
        long next = Long.MAX_VALUE;
        for (Collection c : pending) {
            next = Math.min(next, c.deadlineNanos);
        }
        return next;
    }

    @Override
    public void timer(MasterControl control) {
        long now = System.nanoTime();
        for (Collection c : List.copyOf(pending)) {
            if (now - c.deadlineNanos >= 0) {
                pending.remove(c);
                c.done.run();
            }
        }
    }

    @Override
    public void stopped(MasterControl control) {
        for (Collection c : List.copyOf(pending)) {
            pending.remove(c);
            c.done.run();
        }
    }

    /** For the tests: scrapes under way. */
    int pendingCollections() {
        return pending.size();
    }

    /** {@link #collect}, then the metrics text to {@code done}. */
    public void collectMetrics(MasterControl control, Consumer<String> done) {
        collect(control, () -> done.accept(metricsText(control)));
    }

    /** {@link #collect}, then the status JSON to {@code done}. */
    public void collectStatus(MasterControl control, Consumer<String> done) {
        collect(control, () -> done.accept(statusJson(control)));
    }
}
