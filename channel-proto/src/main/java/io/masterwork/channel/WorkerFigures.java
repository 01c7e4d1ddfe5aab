package io.masterwork.channel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A worker's figures, the payload of the STATUS frame it sends in answer to REPORT (PROTOCOL.md section 8): what
 * its application served and its JVM's own heap, GC and thread figures. Every count is since the worker started;
 * the master keeps the totals across a worker's replacement.
 *
 * <p>Layout, little-endian, exactly {@link #SIZE} bytes: u16 version (1), u16 flags (bit 0: the application
 * reported its own figures — requests, connections, handovers —; every other bit zero), then twelve i64 fields in
 * the order of the record's components, each &gt;= 0. Anything else is a {@link FrameException} (BAD_FIELD):
 * the master never takes half a report.
 *
 * @param applicationReported whether the application counts requests and connections (a downstream application
 *                            that does not has zeros there, and the master says so rather than report zero)
 */
public record WorkerFigures(boolean applicationReported, long requests, long openConnections, long connectionsMoved,
                            long connectionsAdopted, long siblingMessagesSent, long siblingMessagesReceived,
                            long heapUsedBytes, long heapCommittedBytes, long heapMaxBytes, long gcCollections,
                            long gcTimeMillis, long threads) {
    public static final int VERSION = 1;
    private static final int FIELDS = 12;
    /** 2 + 2 + 12 × 8. */
    public static final int SIZE = 4 + FIELDS * 8;
    private static final int APPLICATION_REPORTED = 1;

    public WorkerFigures {
        long[] all = {requests, openConnections, connectionsMoved, connectionsAdopted, siblingMessagesSent,
                siblingMessagesReceived, heapUsedBytes, heapCommittedBytes, heapMaxBytes, gcCollections, gcTimeMillis,
                threads};
        for (int i = 0; i < all.length; i++) {
            if (all[i] < 0) {
                throw new IllegalArgumentException("worker figure " + i + " is negative: " + all[i]);
            }
        }
    }

    public byte[] encode() {
        ByteBuffer bytes = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putShort((short) VERSION).putShort((short) (applicationReported ? APPLICATION_REPORTED : 0));
        bytes.putLong(requests).putLong(openConnections).putLong(connectionsMoved).putLong(connectionsAdopted)
                .putLong(siblingMessagesSent).putLong(siblingMessagesReceived).putLong(heapUsedBytes)
                .putLong(heapCommittedBytes).putLong(heapMaxBytes).putLong(gcCollections).putLong(gcTimeMillis)
                .putLong(threads);
        return bytes.array();
    }

    /** The figures a STATUS payload holds; anything but exactly the layout above is refused. */
    public static WorkerFigures decode(byte[] payload) throws FrameException {
        if (payload.length != SIZE) {
            throw new FrameException(FrameException.Reason.BAD_FIELD, "worker figures of " + payload.length
                    + " bytes, they are exactly " + SIZE);
        }
        ByteBuffer bytes = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        int version = Short.toUnsignedInt(bytes.getShort());
        if (version != VERSION) {
            throw new FrameException(FrameException.Reason.BAD_VERSION, "worker figures version " + version
                    + ", this codec reads " + VERSION);
        }
        int flags = Short.toUnsignedInt(bytes.getShort());
        if ((flags & ~APPLICATION_REPORTED) != 0) {
            throw new FrameException(FrameException.Reason.BAD_FIELD, "worker figures flags 0x"
                    + Integer.toHexString(flags) + ": only bit 0 is defined");
        }
        long[] v = new long[FIELDS];
        for (int i = 0; i < FIELDS; i++) {
            v[i] = bytes.getLong();
            if (v[i] < 0) {
                throw new FrameException(FrameException.Reason.BAD_FIELD, "worker figure " + i + " is negative: " + v[i]);
            }
        }
        return new WorkerFigures((flags & APPLICATION_REPORTED) != 0, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                v[8], v[9], v[10], v[11]);
    }
}
