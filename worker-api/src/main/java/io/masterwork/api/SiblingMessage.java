package io.masterwork.api;

/**
 * A message that arrived in this worker's inbox from a sibling worker: the sender's slot and pid as
 * the sender's worker wrote them into the frame, and the application bytes (at most
 * {@link SiblingMessages#MAX_PAYLOAD}). The payload array is the receiver's own copy.
 *
 * @param senderSlot the sender's slot in the master's process table
 * @param senderPid  the sender's pid
 * @param payload    the application's bytes
 */
public record SiblingMessage(long senderSlot, int senderPid, byte[] payload) {

    /**
     * Checks the payload.
     *
     * @param senderSlot the sender's slot in the master's process table
     * @param senderPid  the sender's pid
     * @param payload    the application's bytes, not null (kept, not copied)
     *
     * @throws IllegalArgumentException for a null payload
     */
    public SiblingMessage {
        if (payload == null) {
            throw new IllegalArgumentException("payload must not be null (use an empty array)");
        }
    }

    /** The sender and the payload's length (not its bytes). */
    @Override
    public String toString() {
        return "SiblingMessage[from slot " + senderSlot + " pid " + senderPid + ", " + payload.length + " bytes]";
    }
}
