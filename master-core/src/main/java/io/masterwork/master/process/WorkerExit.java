package io.masterwork.master.process;

/** Worker exit codes the master understands (mirrored in worker-core). */
final class WorkerExit {
    /** nginx's "cannot be respawned": the worker's init failed in a way a restart will not fix. */
    static final int FATAL = 2;

    private WorkerExit() {
    }
}
