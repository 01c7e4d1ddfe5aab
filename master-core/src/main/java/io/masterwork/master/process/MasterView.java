package io.masterwork.master.process;

import java.net.InetSocketAddress;
import java.util.List;

/** The master as it is now, for extensions (status, metrics, systemd): read on the master thread only. */
public interface MasterView {
    int pid();

    /** The generation serving now (1 at start, +1 per committed reload). */
    long generation();

    /** The addresses listened on, as bound (port 0 resolved). */
    List<InetSocketAddress> listeners();

    /** Every occupied slot, in slot order. */
    List<WorkerSlot> workers();

    /** Workers the configuration asks for in the current generation. */
    int desiredWorkers();

    /** The spare workers (worker_spares) with a process, in spare-number order; never counted as workers. */
    default List<SpareWorker> spares() {
        return List.of();
    }

    /** The spares the serving generation keeps: worker_spares, or what auto came to (SpareAllowance). */
    default int desiredSpares() {
        return 0;
    }

    /** Why {@link #desiredSpares} is what it is, in one sentence (the error log's "spare workers:" line). */
    default String sparesReason() {
        return "";
    }

    boolean reloading();

    boolean stopping();

    long startedAtMillis();

    /** Committed reloads so far. */
    long reloads();

    /** Failed (rolled back or rejected) reloads so far. */
    long failedReloads();

    /** The last reload's result: "ok", the error, or "none". */
    String lastReloadResult();
}
