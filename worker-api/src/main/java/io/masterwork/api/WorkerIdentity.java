package io.masterwork.api;

/**
 * Who this worker is: its own pid, its slot in the master's process table, the configuration
 * generation it was started with (1 at first start, one more with each successful reload), and its
 * master's pid.
 */
public record WorkerIdentity(int pid, long slot, long generation, int masterPid) {
}
