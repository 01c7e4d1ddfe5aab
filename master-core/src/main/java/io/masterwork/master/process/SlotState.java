package io.masterwork.master.process;

import java.util.OptionalLong;

/**
 * Where a slot is in its life, as one value: what used to be seven fields that had to agree (a state, a respawn
 * flag, a closed-channel flag, a pid of -1, a respawn time, a watchdog kill time, a spare flag). Each state carries
 * exactly what holds in it; {@link WorkerSlot} moves between them by named transitions:
 *
 * <pre>
 *            spawned / promoted          READY                no HEARTBEAT (SIGQUIT)
 *   Vacant ─────────────────────▶ Starting ─────▶ Ready ─────────────────────────▶ Hung
 *     ▲                              │              │  ◀──── answers again ─────────  │
 *     │ reaped (respawn due)         │ told to exit │                                 │ told to exit
 *     └──────────────────────────────┴──────────────┴──────────▶ Exiting ◀────────────┘
 *                                                           (reaped: the slot is released)
 * </pre>
 *
 * A process dies in any state with one; the reaper then vacates the slot (a respawn is due) or releases it.
 */
sealed interface SlotState {

    /** The process in this state, or null in {@link Vacant}. */
    Worker worker();

    /** No process: one is spawned (or a spare promoted) into the slot at {@code spawnDueNanos} (System.nanoTime()). */
    record Vacant(long spawnDueNanos) implements SlotState {
        @Override
        public Worker worker() {
            return null;
        }
    }

    /** Spawned (or promoted); its READY has not arrived. */
    record Starting(Worker worker) implements SlotState {
    }

    /** Said READY: it serves. {@code lastHeartbeatNanos} is its last answer to the watchdog (or its READY). */
    record Ready(Worker worker, long readyAtNanos, long lastHeartbeatNanos) implements SlotState {
    }

    /** Stopped answering: the watchdog asked its JVM for a thread dump (SIGQUIT); SIGKILL at {@code killAtNanos}. */
    record Hung(Worker worker, long readyAtNanos, long lastHeartbeatNanos, long killAtNanos) implements SlotState {
    }

    /**
     * Told to QUIT or TERMINATE: never respawned; when it is reaped the slot is released. A worker that was hung when
     * told keeps the watchdog's SIGKILL time: a blocked event loop reads no QUIT.
     */
    record Exiting(Worker worker, OptionalLong killAtNanos) implements SlotState {
    }
}
