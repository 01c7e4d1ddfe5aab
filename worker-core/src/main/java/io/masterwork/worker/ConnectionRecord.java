package io.masterwork.worker;

import io.masterwork.api.MovedConnection;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of a HANDOVER frame's payload (PROTOCOL.md section 7): record version, protocol name, unread
 * bytes, application state. Decoding is strict, like the frame codec's.
 */
final class ConnectionRecord {
    static final int VERSION = 1;

    private ConnectionRecord() {
    }

    static byte[] encode(MovedConnection moved) {
        byte[] name = moved.protocol().getBytes(StandardCharsets.US_ASCII);
        byte[] unread = moved.unread();
        byte[] state = moved.state();
        ByteBuffer bytes = ByteBuffer.allocate(1 + 1 + name.length + 2 + unread.length + state.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        bytes.put((byte) VERSION).put((byte) name.length).put(name).putShort((short) unread.length).put(unread).put(state);
        return bytes.array();
    }

    /** The record, or IllegalArgumentException saying what is wrong with the bytes. */
    static MovedConnection decode(byte[] payload) {
        ByteBuffer bytes = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.remaining() < 2) {
            throw new IllegalArgumentException("a connection record of " + payload.length + " bytes");
        }
        int version = Byte.toUnsignedInt(bytes.get());
        if (version != VERSION) {
            throw new IllegalArgumentException("connection record version " + version + ", this worker reads " + VERSION);
        }
        int nameLength = Byte.toUnsignedInt(bytes.get());
        if (nameLength < 1 || nameLength > 32 || bytes.remaining() < nameLength + 2) {
            throw new IllegalArgumentException("connection record: protocol name of " + nameLength + " bytes in "
                    + payload.length);
        }
        byte[] name = new byte[nameLength];
        bytes.get(name);
        int unreadLength = Short.toUnsignedInt(bytes.getShort());
        if (bytes.remaining() < unreadLength) {
            throw new IllegalArgumentException("connection record: " + unreadLength + " unread bytes declared, "
                    + bytes.remaining() + " present");
        }
        byte[] unread = new byte[unreadLength];
        bytes.get(unread);
        byte[] state = new byte[bytes.remaining()];
        bytes.get(state);
        for (byte b : name) {
            if (b < 0x21 || b > 0x7E) {
                throw new IllegalArgumentException("connection record: the protocol name is not printable US-ASCII");
            }
        }
        return new MovedConnection(new String(name, StandardCharsets.US_ASCII), unread, state);
    }
}
