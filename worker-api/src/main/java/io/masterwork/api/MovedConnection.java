package io.masterwork.api;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What travels with a moved connection besides its socket: the protocol spoken on it, the bytes the
 * old owner already read from the socket but did not handle, and the application's own state. The whole
 * record must fit one sibling message: see {@link #MAX_SIZE}.
 *
 * <p><b>The {@code state} format must stay readable across application versions.</b> A reload may bring a
 * new jar: the old generation's workers write the state, the new generation's read it (and a reload back to
 * the previous jar reverses the roles). So an application's state follows one rule: fields are only ever
 * appended, never removed, reordered or given another meaning or size; a reader takes what it knows from the
 * front, gives a field missing from a shorter record (an older writer) its default, and ignores bytes beyond
 * what it knows (a newer writer). A change that cannot follow the rule takes a new {@code protocol} name
 * (say {@code myproto/2}): an adopter declines a name it does not speak, and the connection then ends
 * gracefully instead of being misread. The built-in HTTP/1.1 state is an example: 4 bytes, the requests
 * served ({@link io.masterwork.api.http.HttpConnectionMove#state}).
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

    /**
     * Checks and copies the parts: the record keeps its own arrays, so the caller may reuse its buffers.
     *
     * @param protocol what the connection speaks now (1..32 US-ASCII characters)
     * @param unread   bytes read from the socket and not yet handled (at most 65535)
     * @param state    the application's record of the connection
     *
     * @throws IllegalArgumentException for a protocol name outside 1..32 US-ASCII characters, or more than
     *                                  65535 unread bytes
     */
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

    /**
     * What this record costs in a sibling message.
     *
     * @return the encoded size of this record; a record above {@link #MAX_SIZE} cannot move
     */
    public int size() {
        return OVERHEAD + protocol.length() + unread.length + state.length;
    }

    /**
     * The bytes the old owner read and did not handle, which the adopter hands its pipeline first.
     *
     * @return a copy of the bytes read from the socket but not handled (may be empty)
     */
    @Override
    public byte[] unread() {
        return unread.clone();
    }

    /**
     * The application's record of the connection, in a format readable across versions (see above).
     *
     * @return a copy of the application's state of the connection
     */
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
