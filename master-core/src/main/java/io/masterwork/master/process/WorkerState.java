package io.masterwork.master.process;

/** Where a worker is in its life, as the status, the metrics and systemd report it (see {@link SlotState}). */
public enum WorkerState {
    /** Spawned; its READY has not arrived yet. */
    STARTING,
    /** Said READY: its listeners are being served (a hung one too, until the watchdog's SIGKILL). */
    READY,
    /** Told to QUIT or TERMINATE; it will not be respawned. */
    EXITING,
    /** No process: a worker is spawned into the slot when its respawn is due. */
    RESPAWNING
}
