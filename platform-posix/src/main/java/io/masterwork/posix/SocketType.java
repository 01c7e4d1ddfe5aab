package io.masterwork.posix;

/** AF_UNIX socket types masterwork uses. SEQPACKET keeps each message one record. */
public enum SocketType {
    STREAM(1), DGRAM(2), SEQPACKET(5);

    public final int value;

    SocketType(int value) {
        this.value = value;
    }
}
