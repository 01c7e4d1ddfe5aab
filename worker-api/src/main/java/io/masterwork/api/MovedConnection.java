package io.masterwork.api;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What travels with a moved connection besides its socket: the protocol spoken on it, the bytes the
 * old owner already read from the socket but did not handle, and the application's own state. The whole
 * record must fit one sibling message: see {@link #MAX_SIZE}.
 *
 * @param protocol    what the connection speaks now (1..32 US-ASCII characters, e.g. {@code http/1.1})
 * @param unread      bytes read from the socket and not yet handled; the adopter handles them first
 * @param state       the application's record of the connection (counters, negotiated options)
 */
public record MovedConnection(String protocol, byte[] unread, byte[] state) {

    /** Bound of the protocol name, the unread bytes and the state together, with their framing. */
    public static final int MAX_SIZE = SiblingMessages.MAX_PAYLOAD;
    /** Record version, protocol length, unread length. */
    static final int OVERHEAD = 1 + 1 + 2;

    public MovedConnection {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(unread, "unread");
        Objects.requireNonNull(state, "state");
        int nameLength = protocol.getBytes(StandardCharsets.US_ASCII).length;
        if (nameLength < 1 || nameLength > 32 || !StandardCharsets.US_ASCII.newEncoder().canEncode(protocol)) {
            throw new IllegalArgumentException("protocol name must be 1..32 US-ASCII characters: " + protocol);
        }
        if (unread.length > 0xFFFF) {
            throw new IllegalArgumentException(unread.length + " unread bytes");
        }
        unread = unread.clone();
        state = state.clone();
    }

    /** The encoded size of this record; a record above {@link #MAX_SIZE} cannot move. */
    public int size() {
        return OVERHEAD + protocol.length() + unread.length + state.length;
    }

    @Override
    public byte[] unread() {
        return unread.clone();
    }

    @Override
    public byte[] state() {
        return state.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MovedConnection other && protocol.equals(other.protocol)
                && java.util.Arrays.equals(unread, other.unread) && java.util.Arrays.equals(state, other.state);
    }

    @Override
    public int hashCode() {
        return protocol.hashCode() * 31 + java.util.Arrays.hashCode(unread) * 17 + java.util.Arrays.hashCode(state);
    }

    @Override
    public String toString() {
        return "MovedConnection[" + protocol + ", " + unread.length + " unread bytes, " + state.length + " state bytes]";
    }
}
