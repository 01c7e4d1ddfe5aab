package io.masterwork.master.control;

import io.masterwork.master.process.MasterView;
import io.masterwork.master.process.WorkerSlot;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What the process table forgets and status and metrics need: when each worker process appeared (a
 * worker's uptime) and how many respawns happened in slots that are gone since (the total). Folded in
 * from the table on every loop turn, so a time is accurate to the turn in which the worker was spawned.
 */
final class WorkerHistory {
    /** pid of a live worker -> System.nanoTime() when it was first seen in the table. */
    private final Map<Integer, Long> firstSeen = new HashMap<>();
    /** Each occupied slot -> the respawns already counted for it. */
    private final Map<WorkerSlot, Integer> counted = new IdentityHashMap<>();
    private long respawnsTotal;

    /** Brings the history up to date with the table as it is now. */
    void fold(MasterView master, long nowNanos) {
        Map<WorkerSlot, Integer> stillOccupied = new IdentityHashMap<>();
        Map<Integer, Long> live = new HashMap<>();
        for (WorkerSlot slot : master.workers()) {
            int before = counted.getOrDefault(slot, 0);
            // A slot counts from the moment it is first seen; respawns happen only in slots that stay occupied.
            respawnsTotal += Math.max(0, slot.respawns() - before);
            stillOccupied.put(slot, slot.respawns());
            if (slot.hasProcess()) {
                live.put(slot.pid(), firstSeen.getOrDefault(slot.pid(), nowNanos));
            }
        }
        counted.clear();
        counted.putAll(stillOccupied);
        firstSeen.clear();
        firstSeen.putAll(live);
    }

    /** How long this worker process has run, in nanoseconds; -1 when it was never seen. */
    long uptimeNanos(int pid, long nowNanos) {
        Long since = firstSeen.get(pid);
        return since == null ? -1 : nowNanos - since;
    }

    long respawnsTotal() {
        return respawnsTotal;
    }
}
