package io.masterwork.master.process;

import io.masterwork.posix.WaitStatus;

/**
 * A part of the master that is not the process model itself (the control socket, systemd's notify
 * protocol): told what happens, and given descriptors and a timer in the master's own loop so that it
 * needs no thread of its own. Bound with a Guice multibinder; every method runs on the master thread and
 * must not block. An exception is logged and the master goes on.
 */
public interface MasterExtension {
    /** Listeners open, pid file written, first workers spawned. */
    default void started(MasterControl master) {
    }

    /** Every worker of the current generation has said READY for the first time since start. */
    default void serving(MasterControl master) {
    }

    default void reloadStarted(MasterControl master) {
    }

    /** The new generation serves; the old one is draining. */
    default void reloadCommitted(MasterControl master) {
    }

    /** The old generation is gone. */
    default void reloadCompleted(MasterControl master) {
    }

    default void reloadFailed(MasterControl master, String reason) {
    }

    /** A worker was reaped (not called for one whose status was lost: waitpid said ECHILD). */
    default void workerExited(MasterControl master, WorkerSlot slot, WaitStatus status) {
    }

    /** A worker's figures, its answer to {@link MasterControl#askWorkersForFigures}. */
    default void workerReported(MasterControl master, WorkerSlot slot, io.masterwork.channel.WorkerFigures figures) {
    }

    /** USR2: a new master (pid {@code newMaster}) was started from the newest build and holds the listeners too. */
    default void upgradeStarted(MasterControl master, int newMaster) {
    }

    /** The new master exited while this one still ran: the upgrade is rolled back, this master carries on. */
    default void upgradeRolledBack(MasterControl master) {
    }

    /** QUIT, TERM or INT: the master is on its way out. */
    default void stopping(MasterControl master, boolean graceful) {
    }

    /** The master is about to exit. */
    default void stopped(MasterControl master) {
    }

    /**
     * Sockets of this extension a new master takes over on USR2, beside the listeners (the status page's: the new
     * master could not bind its address while this one holds it), by a name of lowercase letters and underscores.
     * The new master finds each with {@link UpgradeHandover#inheritedSocket}.
     */
    default java.util.Map<String, Integer> upgradeSockets() {
        return java.util.Map.of();
    }

    /** Descriptors to watch for reading, asked again every loop turn. */
    default int[] descriptors() {
        return new int[0];
    }

    default void readable(int fd, MasterControl master) {
    }

    /** When {@link #timer} should run next, System.nanoTime() based; Long.MAX_VALUE for never. */
    default long nextTimerNanos() {
        return Long.MAX_VALUE;
    }

    default void timer(MasterControl master) {
    }
}
