package io.masterwork.channel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;

/**
 * The payload of {@link Command#PROMOTE} (PROTOCOL.md, section 3): the generation the promoted worker
 * serves in and the CPUs its slot runs on. The slot is the frame's own slot field; the configuration
 * travels as the frame's descriptor.
 *
 * <pre>
 * offset 0  u64  generation (>= 1)
 * offset 8  u16  n: bytes of the CPU mask (0: no affinity, the worker keeps the CPUs it has)
 * offset 10 u16  reserved, zero
 * offset 12 n    CPU mask, bit i of byte i/8 = CPU i (BitSet.toByteArray), last byte non-zero
 * </pre>
 *
 * @param cpus the slot's CPUs, or an empty set when affinity is off
 */
public record Promotion(long generation, BitSet cpus) {
    static final int HEADER = 12;
    /** 1024 CPUs: what the kernel's default cpu_set_t holds. */
    static final int MAX_MASK_BYTES = 128;

    public Promotion {
        if (generation < 1) {
            throw new IllegalArgumentException("generation must be >= 1, got " + generation);
        }
        cpus = (BitSet) cpus.clone();
        if (cpus.length() > MAX_MASK_BYTES * 8) {
            throw new IllegalArgumentException("CPU " + (cpus.length() - 1) + " is beyond " + (MAX_MASK_BYTES * 8));
        }
    }

    @Override
    public BitSet cpus() {
        return (BitSet) cpus.clone();
    }

    byte[] encode() {
        byte[] mask = cpus.toByteArray();
        ByteBuffer out = ByteBuffer.allocate(HEADER + mask.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(generation).putShort((short) mask.length).putShort((short) 0).put(mask);
        return out.array();
    }

    /** The payload of a received PROMOTE frame; a {@link FrameException} (BAD_FIELD) when it is not one. */
    public static Promotion of(ChannelFrame frame) throws FrameException {
        if (frame.command() != Command.PROMOTE) {
            throw new FrameException(FrameException.Reason.BAD_FIELD, frame.command() + " is not PROMOTE");
        }
        byte[] payload = frame.payload();
        if (payload.length < HEADER) {
            throw new FrameException(FrameException.Reason.BAD_FIELD,
                    "PROMOTE: payload of " + payload.length + " bytes, at least " + HEADER + " expected");
        }
        ByteBuffer in = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        long generation = in.getLong();
        int maskBytes = Short.toUnsignedInt(in.getShort());
        int reserved = Short.toUnsignedInt(in.getShort());
        if (generation < 1) {
            throw new FrameException(FrameException.Reason.BAD_FIELD, "PROMOTE: generation " + generation);
        }
        if (reserved != 0) {
            throw new FrameException(FrameException.Reason.BAD_PADDING, "PROMOTE: reserved bytes 10..11 are 0x"
                    + Integer.toHexString(reserved) + ", must be zero");
        }
        if (maskBytes > MAX_MASK_BYTES || payload.length != HEADER + maskBytes) {
            throw new FrameException(FrameException.Reason.BAD_PAYLOAD_LENGTH, "PROMOTE: CPU mask of " + maskBytes
                    + " bytes in a payload of " + payload.length);
        }
        if (maskBytes > 0 && payload[payload.length - 1] == 0) {
            throw new FrameException(FrameException.Reason.BAD_FIELD, "PROMOTE: the CPU mask's last byte is zero");
        }
        byte[] mask = new byte[maskBytes];
        in.get(mask);
        return new Promotion(generation, BitSet.valueOf(mask));
    }
}
