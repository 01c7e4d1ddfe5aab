package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The PROMOTE payload of PROTOCOL.md, section 3. */
class PromotionTest {

    @Test
    void thePayloadIsGenerationMaskLengthReservedAndTheMask() throws FrameException {
        BitSet cpus = new BitSet();
        cpus.set(1);
        cpus.set(9);
        ChannelFrame frame = ChannelFrame.promote(4242, 3, 9, new Promotion(5, cpus));
        assertThat(HexFormat.of().formatHex(frame.payload())).isEqualTo("0500000000000000" + "0200" + "0000" + "0202");
        ChannelFrame decoded = FrameCodec.decode(FrameCodec.encode(frame), 11);
        assertThat(decoded.fd()).isEqualTo(11);
        assertThat(decoded.slot()).isEqualTo(3);
        assertThat(Promotion.of(decoded)).isEqualTo(new Promotion(5, cpus));
    }

    @Test
    void noAffinityIsAnEmptyMask() throws FrameException {
        ChannelFrame frame = ChannelFrame.promote(1, 0, 3, new Promotion(1, new BitSet()));
        assertThat(frame.payloadLength()).isEqualTo(12);
        assertThat(Promotion.of(frame).cpus().isEmpty()).isTrue();
    }

    @Test
    void promoteWithoutADescriptorIsRejected() {
        ChannelFrame frame = ChannelFrame.promote(1, 0, 3, new Promotion(1, new BitSet()));
        assertThatThrownBy(() -> FrameCodec.decode(FrameCodec.encode(frame), -1))
                .isInstanceOfSatisfying(FrameException.class,
                        e -> assertThat(e.reason()).isEqualTo(FrameException.Reason.MISSING_DESCRIPTOR));
    }

    @Test
    void malformedPayloadsAreRejected() {
        assertRejected(new byte[11]);                                            // short
        assertRejected(payload(0, 0, 0, new byte[0]));                          // generation 0
        assertRejected(payload(1, 1, 0, new byte[] {1, 2}));                    // length disagrees
        assertRejected(payload(1, 1, 0, new byte[] {0}));                       // trailing zero byte in the mask
        assertRejected(payload(1, 0, 7, new byte[0]));                          // reserved not zero
        assertRejected(payload(1, 129, 0, new byte[129]));                      // more than 1024 CPUs
    }

    private static byte[] payload(long generation, int maskLength, int reserved, byte[] mask) {
        return ByteBuffer.allocate(12 + mask.length).order(ByteOrder.LITTLE_ENDIAN).putLong(generation)
                .putShort((short) maskLength).putShort((short) reserved).put(mask).array();
    }

    private static void assertRejected(byte[] payload) {
        ChannelFrame frame = new ChannelFrame(Command.PROMOTE, 1, 0, 3, payload);
        assertThatThrownBy(() -> Promotion.of(frame)).isInstanceOf(FrameException.class);
    }
}
