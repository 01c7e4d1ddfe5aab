package io.masterwork.master.control;

import io.masterwork.master.process.MasterView;
import io.masterwork.master.process.WorkerSlot;
import io.masterwork.master.process.WorkerState;

import java.util.Locale;

/**
 * The answer to {@code metrics}: Prometheus' text exposition format (version 0.0.4), every metric with
 * its HELP and TYPE, so that a scraper behind a small socket-to-HTTP bridge can read it as it is.
 */
final class MetricsReport {
    private final StringBuilder out = new StringBuilder();

    private MetricsReport() {
    }

    static String render(MasterView master, WorkerHistory history, String version, long nowMillis, int controlClients) {
        MetricsReport m = new MetricsReport();
        m.header("masterwork_info", "gauge", "The running master: its version and pid, always 1.");
        m.sample("masterwork_info{version=\"" + escape(version) + "\",pid=\"" + master.pid() + "\"}", 1);
        m.header("masterwork_generation", "gauge", "The configuration generation serving now (1 at start, +1 per committed reload).");
        m.sample("masterwork_generation", master.generation());
        m.header("masterwork_uptime_seconds", "gauge", "Seconds since the master started.");
        m.sample("masterwork_uptime_seconds", Math.max(0, nowMillis - master.startedAtMillis()) / 1000.0);
        m.header("masterwork_workers", "gauge", "Worker processes alive, by state.");
        for (WorkerState state : WorkerState.values()) {
            long n = master.workers().stream().filter(s -> s.state() == state).count();
            m.sample("masterwork_workers{state=\"" + StatusReport.name(state) + "\"}", n);
        }
        m.header("masterwork_workers_desired", "gauge", "Worker processes the current configuration asks for.");
        m.sample("masterwork_workers_desired", master.desiredWorkers());
        m.header("masterwork_spares", "gauge", "Spare workers (worker_spares) alive, by state; never counted as workers.");
        for (WorkerState state : new WorkerState[] {WorkerState.STARTING, WorkerState.READY, WorkerState.EXITING}) {
            long n = master.spares().stream().filter(s -> s.state() == state).count();
            m.sample("masterwork_spares{state=\"" + StatusReport.name(state) + "\"}", n);
        }
        m.header("masterwork_spares_desired", "gauge", "Spare workers the current configuration asks for.");
        m.sample("masterwork_spares_desired", master.desiredSpares());
        m.header("masterwork_worker_respawns_total", "counter", "Workers respawned after an unexpected exit.");
        m.sample("masterwork_worker_respawns_total", history.respawnsTotal());
        m.header("masterwork_reloads_total", "counter", "Reloads committed (the new generation served).");
        m.sample("masterwork_reloads_total", master.reloads());
        m.header("masterwork_reloads_failed_total", "counter", "Reloads rejected or rolled back.");
        m.sample("masterwork_reloads_failed_total", master.failedReloads());
        m.header("masterwork_last_reload_success", "gauge", "1 when the last reload succeeded or none was tried, 0 when it failed.");
        String last = master.lastReloadResult();
        m.sample("masterwork_last_reload_success", "ok".equals(last) || "none".equals(last) ? 1 : 0);
        m.header("masterwork_reloading", "gauge", "1 while a reload is under way or the old generation drains.");
        m.sample("masterwork_reloading", master.reloading() ? 1 : 0);
        m.header("masterwork_control_clients", "gauge", "Clients connected to the control socket.");
        m.sample("masterwork_control_clients", controlClients);
        return m.out.toString();
    }

    private void header(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void sample(String series, long value) {
        out.append(series).append(' ').append(value).append('\n');
    }

    private void sample(String series, double value) {
        out.append(series).append(' ').append(String.format(Locale.ROOT, "%.3f", value)).append('\n');
    }

    /** A label value: backslash, double quote and newline escaped, as the format asks. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
