package io.masterwork.master.status;

import io.masterwork.master.loop.LoopClient;

/** One HTTP client of the status page: its request head as it arrives, then its one answer. */
final class StatusConnection extends LoopClient {
    /** The request head is complete: nothing more is read. */
    boolean requestRead;
    /** The answer waits for the workers' figures. */
    boolean awaiting;
    /** Its one answer is queued: once written, the connection ends. */
    boolean answered;

    /** {@code readDeadlineNanos}: by when the whole request head must have arrived. */
    StatusConnection(int fd, int maxHeadBytes, long readDeadlineNanos) {
        super(fd, maxHeadBytes, readDeadlineNanos);
    }

    @Override
    public boolean wantsInput() {
        return !closed() && !requestRead && !awaiting && !answered;
    }

    @Override
    public String toString() {
        return "status client " + fd();
    }
}
