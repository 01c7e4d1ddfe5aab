package io.masterwork.master.control;

import io.masterwork.master.process.MasterView;
import io.masterwork.master.process.WorkerSlot;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What the process table forgets and metrics need: how many respawns happened in slots that are gone
 * since (the total). Folded in from the table on every loop turn, before a slot can be released.
 */
final class WorkerHistory {
    /** Each occupied slot -> the respawns already counted for it. */
    private final Map<WorkerSlot, Integer> counted = new IdentityHashMap<>();
    private long respawnsTotal;

    /** Brings the history up to date with the table as it is now. */
    void fold(MasterView master, long nowNanos) {
        Map<WorkerSlot, Integer> stillOccupied = new IdentityHashMap<>();
        for (WorkerSlot slot : master.workers()) {
            int before = counted.getOrDefault(slot, 0);
            // A slot counts from the moment it is first seen; respawns happen only in slots that stay occupied.
            respawnsTotal += Math.max(0, slot.respawns() - before);
            stillOccupied.put(slot, slot.respawns());
        }
        counted.clear();
        counted.putAll(stillOccupied);
    }

    long respawnsTotal() {
        return respawnsTotal;
    }
}
