package io.masterwork.channel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload of a RETIRE frame: the workers a retiring worker may hand its live connections to, as
 * (slot, pid) pairs. Layout (little-endian, PROTOCOL.md section 3): u32 count, then count entries of
 * i64 slot and i32 pid. At most {@link #MAX} entries fit in one frame.
 */
public final class Successors {

    /** One worker that may adopt connections. */
    public record Successor(long slot, int pid) {
        public Successor {
            if (slot < 0 || pid <= 0) {
                throw new IllegalArgumentException("successor slot " + slot + " pid " + pid);
            }
        }
    }

    /**
     * Where the other master's workers are numbered during a binary upgrade: its slot {@code k} is slot
     * {@code PEER_MASTER_SLOT_BASE + k} here, in OPEN_CHANNEL, CLOSE_CHANNEL and RETIRE alike. Both masters number
     * their slots from 0, so a worker that holds the inboxes of both addresses the other master's above this, where
     * no slot of a process table (at most 1024) reaches.
     */
    public static final long PEER_MASTER_SLOT_BASE = 1L << 32;

    private static final int ENTRY = 12;
    /** How many successors one RETIRE frame names: (4096 - 4) / 12. */
    public static final int MAX = (FrameCodec.MAX_PAYLOAD - 4) / ENTRY;

    private Successors() {
    }

    /** The payload naming {@code successors}; beyond {@link #MAX}, the rest are left out. */
    public static byte[] encode(List<Successor> successors) {
        int n = Math.min(successors.size(), MAX);
        ByteBuffer bytes = ByteBuffer.allocate(4 + n * ENTRY).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putInt(n);
        for (int i = 0; i < n; i++) {
            bytes.putLong(successors.get(i).slot()).putInt(successors.get(i).pid());
        }
        return bytes.array();
    }

    /** The successors named by a RETIRE payload; a malformed payload is a {@link FrameException} (BAD_FIELD). */
    public static List<Successor> decode(byte[] payload) throws FrameException {
        ByteBuffer bytes = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        if (payload.length < 4) {
            throw new FrameException(FrameException.Reason.BAD_FIELD, "RETIRE payload of " + payload.length + " bytes");
        }
        long n = Integer.toUnsignedLong(bytes.getInt());
        if (n > MAX || payload.length != 4 + n * ENTRY) {
            throw new FrameException(FrameException.Reason.BAD_FIELD, "RETIRE payload of " + payload.length
                    + " bytes does not hold " + n + " successors");
        }
        List<Successor> list = new ArrayList<>((int) n);
        for (int i = 0; i < n; i++) {
            long slot = bytes.getLong();
            int pid = bytes.getInt();
            if (slot < 0 || pid <= 0) {
                throw new FrameException(FrameException.Reason.BAD_FIELD, "RETIRE successor slot " + slot + " pid " + pid);
            }
            list.add(new Successor(slot, pid));
        }
        return List.copyOf(list);
    }
}
