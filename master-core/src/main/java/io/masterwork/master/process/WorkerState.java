package io.masterwork.master.process;

/** Where a worker is in its life, as the master sees it. */
public enum WorkerState {
    /** Spawned; its READY has not arrived yet. */
    STARTING,
    /** Said READY: its listeners are being served. */
    READY,
    /** Told to QUIT or TERMINATE; it will not be respawned. */
    EXITING
}
