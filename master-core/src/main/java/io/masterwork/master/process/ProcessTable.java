package io.masterwork.master.process;

import java.util.ArrayList;
import java.util.List;

/**
 * nginx's {@code ngx_processes[]}: at most {@link #MAX_SLOTS} slots, indexed by slot number. A slot
 * is reused for the worker that replaces a dead one; a reload allocates fresh slots, so slot numbers
 * need not be 0..N-1.
 */
public final class ProcessTable {
    public static final int MAX_SLOTS = 1024;

    private final WorkerSlot[] slots = new WorkerSlot[MAX_SLOTS];

    /** The lowest free slot, now taken; an exception when all {@value #MAX_SLOTS} are in use. */
    WorkerSlot allocate() {
        for (int i = 0; i < MAX_SLOTS; i++) {
            if (slots[i] == null) {
                slots[i] = new WorkerSlot(i);
                return slots[i];
            }
        }
        throw new IllegalStateException("no free slot in the process table (" + MAX_SLOTS + " in use)");
    }

    void release(WorkerSlot slot) {
        slots[slot.slot] = null;
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

    WorkerSlot byChannelFd(int fd) {
        for (WorkerSlot s : slots) {
            if (s != null && s.channel != null && s.channel.fd() == fd) {
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
