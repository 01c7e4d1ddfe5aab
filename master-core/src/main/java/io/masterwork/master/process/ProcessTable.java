package io.masterwork.master.process;

import java.util.ArrayList;
import java.util.List;

/**
 * nginx's {@code ngx_processes[]}: a fixed number of slots (1024 unless a test injects fewer), indexed by slot
 * number. A slot is reused for the worker that replaces a dead one; a reload allocates fresh slots beside the old
 * generation's, so slot numbers need not be 0..N-1.
 */
public final class ProcessTable {
    public static final int DEFAULT_SLOTS = 1024;

    private final WorkerSlot[] slots;

    /** The default table, {@value #DEFAULT_SLOTS} slots: what MasterProcessModule binds. */
    public ProcessTable() {
        this(DEFAULT_SLOTS);
    }

    /** A table of {@code capacity} slots (a test's small table, in {@code modules.master}). */
    public ProcessTable(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a process table needs at least one slot, got " + capacity);
        }
        this.slots = new WorkerSlot[capacity];
    }

    public int capacity() {
        return slots.length;
    }

    /** Slots not in use. */
    int free() {
        int free = 0;
        for (WorkerSlot s : slots) {
            if (s == null) {
                free++;
            }
        }
        return free;
    }

    /** The lowest free slot, now {@code generation}'s and vacant, due for a spawn at once; null when all are in use. */
    WorkerSlot allocate(WorkerGeneration generation) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == null) {
                slots[i] = new WorkerSlot(i, generation, System.nanoTime());
                return slots[i];
            }
        }
        return null;
    }

    void release(WorkerSlot slot) {
        if (slots[slot.slot] == slot) {
            slots[slot.slot] = null;
        }
    }

    /** Every occupied slot, in slot order. */
    public List<WorkerSlot> occupied() {
        List<WorkerSlot> out = new ArrayList<>();
        for (WorkerSlot s : slots) {
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /** Slots with a running process. */
    public List<WorkerSlot> running() {
        List<WorkerSlot> out = new ArrayList<>();
        for (WorkerSlot s : slots) {
            if (s != null && s.hasProcess()) {
                out.add(s);
            }
        }
        return out;
    }

    /** The slots of {@code generation} that are not exiting: what it has toward its desired count, in slot order. */
    List<WorkerSlot> staying(WorkerGeneration generation) {
        List<WorkerSlot> out = new ArrayList<>();
        for (WorkerSlot s : slots) {
            if (s != null && s.generation == generation && !s.isExiting()) {
                out.add(s);
            }
        }
        return out;
    }

    /** The slot whose worker's open channel is {@code fd}, or null. */
    WorkerSlot byChannelFd(int fd) {
        for (WorkerSlot s : slots) {
            Worker worker = s == null ? null : s.worker();
            if (worker != null && worker.channelOpen() && worker.channel.fd() == fd) {
                return s;
            }
        }
        return null;
    }

    public boolean isEmpty() {
        for (WorkerSlot s : slots) {
            if (s != null) {
                return false;
            }
        }
        return true;
    }
}
