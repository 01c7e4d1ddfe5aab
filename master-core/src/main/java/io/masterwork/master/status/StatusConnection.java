package io.masterwork.master.status;

import java.nio.ByteBuffer;

/** One HTTP client of the status page: its request head as it arrives, then its one answer. */
final class StatusConnection {
    final int fd;
    final ByteBuffer in;
    /** The whole answer, once there is one. */
    ByteBuffer out;
    /** By when the whole request head must have arrived (System.nanoTime()). */
    final long readDeadlineNanos;
    /** Since when the answer has waited for room in the socket; 0 when it has not. */
    long blockedSinceNanos;
    /** The request head is complete: nothing more is read. */
    boolean requestRead;
    /** The answer waits for the workers' figures. */
    boolean awaiting;
    boolean closed;

    StatusConnection(int fd, int maxHeadBytes, long readDeadlineNanos) {
        this.fd = fd;
        this.in = ByteBuffer.allocate(maxHeadBytes);
        this.readDeadlineNanos = readDeadlineNanos;
    }

    /** Whether the master should poll this client for reading now. */
    boolean wantsInput() {
        return !closed && !requestRead && !awaiting && out == null;
    }
}
