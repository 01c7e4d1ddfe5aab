package io.masterwork.master.process;

import java.util.function.Consumer;

/** What an extension may ask of the master; every call runs on the master thread. */
public interface MasterControl extends MasterView {
    /** Like HUP; {@code done} is told the outcome once the new generation serves and the old one is gone, or the reload failed. */
    void reload(Consumer<ReloadOutcome> done);

    /** Like QUIT. */
    void quit();

    /** Like TERM. */
    void stop();

    /** Like USR1. */
    void reopen();

    /**
     * Sets the number of workers of the serving generation (TTIN/TTOU do +1/-1): spawns or retires
     * gracefully until it holds. A reload applies {@code worker_processes} again.
     */
    void setWorkerCount(int n);

    /**
     * Sends REPORT to every worker that serves (ready, its channel open) and returns their pids; each answers later,
     * through {@link MasterExtension#workerReported}. Never waits: a full channel leaves that worker out.
     */
    java.util.List<Integer> askWorkersForFigures();

    /** The result of a reload, for whoever asked for it. */
    record ReloadOutcome(boolean ok, long generation, String message) {
    }
}
