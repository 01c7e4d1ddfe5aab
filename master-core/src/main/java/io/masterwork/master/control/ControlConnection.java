package io.masterwork.master.control;

import io.masterwork.posix.Credentials;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;

/** One accepted client of the control socket: what it sent so far, what waits to be written to it. */
final class ControlConnection {
    final int fd;
    final Credentials peer;
    /** Bytes of the command line being received; one byte more than a line may have, for its newline. */
    final ByteBuffer in;
    final Deque<ByteBuffer> out = new ArrayDeque<>();
    int queuedBytes;
    /** A reload or metrics was asked on this connection and its answer is not ready yet: nothing else is read. */
    boolean awaitingAnswer;
    /** The peer shut down its side (EOF): answer what it asked, then close. */
    boolean inputClosed;
    /** After an answer that ends the connection (a refusal, a line too long, a timeout). */
    boolean closeWhenFlushed;
    boolean closed;
    /** Its complete lines are being handled right now (a reload's outcome may arrive meanwhile). */
    boolean processing;
    /** By when the next complete command must have arrived (System.nanoTime()). */
    long readDeadlineNanos;
    /** Since when written output has waited for room in the socket; 0 when none waits. */
    long blockedSinceNanos;

    ControlConnection(int fd, Credentials peer, int maxLineBytes, long readDeadlineNanos) {
        this.fd = fd;
        this.peer = peer;
        this.in = ByteBuffer.allocate(maxLineBytes + 1);
        this.readDeadlineNanos = readDeadlineNanos;
    }

    /** Whether the master should poll this client's descriptor for reading now. */
    boolean wantsInput() {
        return !closed && !inputClosed && !awaitingAnswer && !closeWhenFlushed;
    }

    /**
     * Removes and returns the next complete line (without its LF) from the input, or null when none
     * is complete yet.
     */
    byte[] nextLine() {
        int end = in.position();
        for (int i = 0; i < end; i++) {
            if (in.get(i) == '\n') {
                byte[] line = new byte[i];
                in.get(0, line);
                // Keep what follows the newline at the start of the buffer.
                in.flip();
                in.position(i + 1);
                in.compact();
                return line;
            }
        }
        return null;
    }

    /** The buffer is full and holds no newline: the line is longer than allowed. */
    boolean lineTooLong() {
        return !in.hasRemaining();
    }

    @Override
    public String toString() {
        return "control client fd " + fd + " (pid " + peer.pid() + ", uid " + peer.uid() + ")";
    }
}
