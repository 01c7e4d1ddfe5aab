package io.masterwork.master.control;

import io.masterwork.master.loop.LoopClient;
import io.masterwork.posix.Credentials;

import java.nio.ByteBuffer;

/** One accepted client of the control socket: who it is, the command line it is sending, where its commands stand. */
final class ControlConnection extends LoopClient {
    final Credentials peer;
    /** A reload or metrics was asked on this connection and its answer is not ready yet: nothing else is read. */
    boolean awaitingAnswer;
    /** The peer shut down its side (EOF): answer what it asked, then close. */
    boolean inputClosed;
    /** After an answer that ends the connection (a refusal, a line too long, a timeout). */
    boolean closeWhenFlushed;
    /** Its complete lines are being handled right now (a reload's outcome may arrive meanwhile). */
    boolean processing;

    /** The input holds one byte more than a line may have, for its newline. */
    ControlConnection(int fd, Credentials peer, int maxLineBytes, long readDeadlineNanos) {
        super(fd, maxLineBytes + 1, readDeadlineNanos);
        this.peer = peer;
    }

    @Override
    public boolean wantsInput() {
        return !closed() && !inputClosed && !awaitingAnswer && !closeWhenFlushed;
    }

    /**
     * Removes and returns the next complete line (without its LF) from the input, or null when none
     * is complete yet.
     */
    byte[] nextLine() {
        ByteBuffer in = input();
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
        return !input().hasRemaining();
    }

    @Override
    public String toString() {
        return "control client fd " + fd() + " (pid " + peer.pid() + ", uid " + peer.uid() + ")";
    }
}
