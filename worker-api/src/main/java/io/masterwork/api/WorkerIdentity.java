package io.masterwork.api;

/**
 * Who this worker is: its own pid, its slot in the master's process table, the configuration
 * generation it was started with (1 at first start, one more with each successful reload), and its
 * master's pid. Injectable (Guice) into the application's constructor.
 *
 * @param pid        this worker's process id
 * @param slot       its slot in the master's process table (kept by a respawned worker)
 * @param generation the configuration generation it runs
 * @param masterPid  its master's process id
 */
public record WorkerIdentity(int pid, long slot, long generation, int masterPid) {
}
