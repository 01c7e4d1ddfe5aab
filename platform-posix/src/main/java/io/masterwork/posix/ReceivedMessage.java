package io.masterwork.posix;

/**
 * One recvmsg(2) result. {@code length == 0 && !truncated} with no descriptor is end of file on a
 * SEQPACKET/STREAM socket. {@code fd} is the received descriptor or -1; whoever holds this record
 * owns it and must close it if it does not keep it.
 */
public record ReceivedMessage(int length, int fd, boolean truncated) {
    public boolean isEof() {
        return length == 0 && fd < 0 && !truncated;
    }
}
