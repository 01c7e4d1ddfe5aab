package io.masterwork.master.control;

import io.masterwork.channel.WorkerFigures;
import io.masterwork.master.process.MasterView;
import io.masterwork.master.process.WorkerSlot;
import io.masterwork.master.process.WorkerState;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The answer to {@code metrics} and {@code GET /metrics}: snapshots of the master's state built with Prometheus'
 * own model and written by its text format writer (0.0.4), so that the exposition is Prometheus' and not ours.
 * Built on the master thread at the moment of the answer, from the process table, {@link MasterReports} and the
 * workers' last figures; nothing is kept in a registry in between (no other thread reads the master's state).
 *
 * <p>Per-worker series are labelled by slot only: a generation or pid label would grow the series without bound
 * across reloads and respawns. The counters of a slot add up every worker that served in it.
 */
final class MetricsExposition {
    private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();
    /** What {@code GET /metrics} answers with. */
    static final String CONTENT_TYPE = WRITER.getContentType();

    private final List<MetricSnapshot> snapshots = new ArrayList<>();

    private MetricsExposition() {
    }

    static String render(MasterView master, MasterReports reports, String version, long nowMillis) {
        MetricsExposition m = new MetricsExposition();
        m.masterMetrics(master, reports, version, nowMillis);
        m.workerMetrics(master, reports);
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            WRITER.write(out, MetricSnapshots.of(m.snapshots.toArray(new MetricSnapshot[0])));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private void masterMetrics(MasterView master, MasterReports reports, String version, long nowMillis) {
        snapshots.add(InfoSnapshot.builder().name("masterwork")
                .help("The running master: its version and pid, always 1.")
                .dataPoint(InfoDataPointSnapshot.builder()
                        .labels(Labels.of("version", version, "pid", Integer.toString(master.pid()))).build())
                .build());
        gauge("masterwork_generation", "The configuration generation serving now (1 at start, +1 per committed reload).",
                master.generation());
        gauge("masterwork_uptime_seconds", "Seconds since the master started.",
                Math.max(0, nowMillis - master.startedAtMillis()) / 1000.0);
        GaugeSnapshot.Builder workers = GaugeSnapshot.builder().name("masterwork_workers")
                .help("Worker processes alive, by state.");
        for (WorkerState state : WorkerState.values()) {
            long n = master.workers().stream().filter(s -> s.state() == state).count();
            workers.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("state", StatusReport.name(state)))
                    .value(n).build());
        }
        snapshots.add(workers.build());
        gauge("masterwork_workers_desired", "Worker processes the current configuration asks for.", master.desiredWorkers());
        GaugeSnapshot.Builder spares = GaugeSnapshot.builder().name("masterwork_spares")
                .help("Spare workers (worker_spares) alive, by state; never counted as workers.");
        for (WorkerState state : new WorkerState[] {WorkerState.STARTING, WorkerState.READY, WorkerState.EXITING}) {
            long n = master.spares().stream().filter(s -> s.state() == state).count();
            spares.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("state", StatusReport.name(state)))
                    .value(n).build());
        }
        snapshots.add(spares.build());
        gauge("masterwork_spares_desired", "Spare workers the master keeps: worker_spares, or what auto came to.", master.desiredSpares());
        counter("masterwork_worker_respawns", "Workers respawned after an unexpected exit.", reports.respawnsTotal());
        CounterSnapshot.Builder byCause = CounterSnapshot.builder().name("masterwork_worker_respawns_by_cause")
                .help("Workers respawned, by the cause of the exit: crash (by its own doing), killed (a signal from "
                        + "outside), watchdog (its loop stopped answering).");
        reports.respawnsByCause().forEach((cause, n) -> byCause.dataPoint(CounterDataPointSnapshot.builder()
                .labels(Labels.of("cause", cause)).value(n).build()));
        snapshots.add(byCause.build());
        counter("masterwork_crash_backoffs", "Respawns delayed by the crash-loop backoff (worker_respawn_backoff).",
                reports.crashBackoffs());
        counter("masterwork_reloads", "Reloads committed (the new generation served).", master.reloads());
        counter("masterwork_reloads_failed", "Reloads rejected or rolled back.", master.failedReloads());
        snapshots.add(reports.reloadDurations().collect());
        String last = master.lastReloadResult();
        gauge("masterwork_last_reload_success", "1 when the last reload succeeded or none was tried, 0 when it failed.",
                "ok".equals(last) || "none".equals(last) ? 1 : 0);
        gauge("masterwork_reloading", "1 while a reload is under way or the old generation drains.",
                master.reloading() ? 1 : 0);
        for (MasterReports.Gauge g : reports.gauges()) {
            gauge(g.name(), g.help(), g.value().getAsInt());
        }
    }

    private void workerMetrics(MasterView master, MasterReports reports) {
        // Slot -> the live worker's figures (null when it never answered), slots with exited workers included.
        Map<Integer, MasterReports.Reported> bySlot = new TreeMap<>();
        for (WorkerSlot slot : master.workers()) {
            bySlot.put(slot.slot(), slot.hasProcess() ? reports.reported(slot.pid()) : null);
        }
        for (Integer slot : reports.retired().keySet()) {
            bySlot.putIfAbsent(slot, null);
        }
        GaugeSnapshot.Builder answered = GaugeSnapshot.builder().name("masterwork_worker_report_answered")
                .help("1 when the slot's worker answered the master's request for figures in time for this scrape, "
                        + "0 when it did not (its figures are then the last it gave).");
        for (WorkerSlot slot : master.workers()) {
            if (slot.hasProcess()) {
                MasterReports.Reported r = reports.reported(slot.pid());
                answered.dataPoint(point(slot.slot(), r != null && r.answeredLast() ? 1 : 0));
            }
        }
        snapshots.add(answered.build());
        workerCounter(bySlot, reports, "masterwork_worker_requests",
                "Requests received by the slot's workers, every worker that served in it added up.",
                f -> f.requests(), c -> c.requests(), true);
        workerGauge(bySlot, "masterwork_worker_connections", "Client connections the slot's worker has open.",
                f -> f.openConnections(), true);
        workerCounter(bySlot, reports, "masterwork_worker_connections_moved",
                "Connections the slot's workers moved to a successor by live handover.",
                f -> f.connectionsMoved(), c -> c.moved(), true);
        workerCounter(bySlot, reports, "masterwork_worker_connections_adopted",
                "Connections the slot's workers took in from a retiring sibling.",
                f -> f.connectionsAdopted(), c -> c.adopted(), true);
        workerCounter(bySlot, reports, "masterwork_worker_sibling_messages_sent",
                "Messages the slot's workers sent to sibling inboxes.",
                f -> f.siblingMessagesSent(), c -> c.sent(), false);
        workerCounter(bySlot, reports, "masterwork_worker_sibling_messages_received",
                "Messages the slot's workers received from siblings.",
                f -> f.siblingMessagesReceived(), c -> c.received(), false);
        workerGauge(bySlot, "masterwork_worker_heap_used_bytes", "Heap in use in the slot's worker JVM.",
                f -> f.heapUsedBytes(), false);
        workerGauge(bySlot, "masterwork_worker_heap_committed_bytes", "Heap committed by the slot's worker JVM.",
                f -> f.heapCommittedBytes(), false);
        workerGauge(bySlot, "masterwork_worker_heap_max_bytes", "The slot's worker JVM's maximum heap (0: undefined).",
                f -> f.heapMaxBytes(), false);
        workerCounter(bySlot, reports, "masterwork_worker_gc_collections",
                "Garbage collections in the slot's worker JVMs, every collector added up.",
                f -> f.gcCollections(), c -> c.gcCollections(), false);
        workerCounter(bySlot, reports, "masterwork_worker_gc_seconds",
                "Seconds the slot's worker JVMs spent in garbage collection.",
                f -> f.gcTimeMillis() / 1000.0, c -> c.gcMillis() / 1000.0, false);
        workerGauge(bySlot, "masterwork_worker_threads", "Live threads in the slot's worker JVM.",
                f -> f.threads(), false);
    }

    /** A counter per slot: the exited workers' sum plus the live worker's last figure. */
    private void workerCounter(Map<Integer, MasterReports.Reported> bySlot, MasterReports reports, String name,
                               String help, ToDoubleFunction<WorkerFigures> live,
                               ToDoubleFunction<MasterReports.Counters> retired, boolean application) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        bySlot.forEach((slot, r) -> {
            if (application && r != null && !r.figures().applicationReported()) {
                return; // an application that does not count: no series rather than a false zero
            }
            double value = retired.applyAsDouble(reports.retired(slot)) + (r == null ? 0 : live.applyAsDouble(r.figures()));
            b.dataPoint(CounterDataPointSnapshot.builder().labels(slotLabel(slot)).value(value).build());
        });
        snapshots.add(b.build());
    }

    /** A gauge per live worker that has answered at least once. */
    private void workerGauge(Map<Integer, MasterReports.Reported> bySlot, String name, String help,
                             ToDoubleFunction<WorkerFigures> live, boolean application) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        bySlot.forEach((slot, r) -> {
            if (r != null && (!application || r.figures().applicationReported())) {
                b.dataPoint(point(slot, live.applyAsDouble(r.figures())));
            }
        });
        snapshots.add(b.build());
    }

    private static Labels slotLabel(int slot) {
        return Labels.of("slot", Integer.toString(slot));
    }

    private static GaugeDataPointSnapshot point(int slot, double value) {
        return GaugeDataPointSnapshot.builder().labels(slotLabel(slot)).value(value).build();
    }

    private void gauge(String name, String help, double value) {
        snapshots.add(GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build());
    }

    private void counter(String name, String help, double value) {
        snapshots.add(CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().value(value).build()).build());
    }
}
