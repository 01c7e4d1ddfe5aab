package io.masterwork.channel;

import static io.masterwork.channel.FrameException.Reason.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

/** The bytes of PROTOCOL.md, one rule at a time. */
class FrameCodecTest {

    private static final byte[] HELLO = "hello, sibling".getBytes(StandardCharsets.UTF_8);

    @Test
    void commandCodesAreNginxsAndTheExtensionsNeverCollideWithThem() {
        assertThat(Command.OPEN_CHANNEL.code()).isEqualTo(1);
        assertThat(Command.CLOSE_CHANNEL.code()).isEqualTo(2);
        assertThat(Command.QUIT.code()).isEqualTo(3);
        assertThat(Command.TERMINATE.code()).isEqualTo(4);
        assertThat(Command.REOPEN.code()).isEqualTo(5);
        assertThat(Command.READY.code()).isEqualTo(0x4D57_0001);
        assertThat(Command.HEARTBEAT.code()).isEqualTo(0x4D57_0002);
        assertThat(Command.STATUS.code()).isEqualTo(0x4D57_0003);
        assertThat(Command.MESSAGE.code()).isEqualTo(0x4D57_0004);
        assertThat(Command.PROMOTE.code()).isEqualTo(0x4D57_0005);
        for (Command command : Command.values()) {
            assertThat(Command.fromCode(command.code())).isSameAs(command);
            assertThat(command.isExtension()).isEqualTo(command.code() > 5);
        }
        assertThat(Command.fromCode(0)).isNull();
        assertThat(Command.fromCode(6)).isNull();
        assertThat(Command.fromCode(0x4D57_0000)).isNull();
        assertThat(Command.fromCode(0x4D57_0008)).isSameAs(Command.INIT_FAILED);
        assertThat(Command.fromCode(0x4D57_0009)).isSameAs(Command.REPORT);
        assertThat(Command.fromCode(0x4D57_000A)).isNull();
        assertThat(Command.fromCode(0x1_0000_0001L)).isNull();
        assertThat(Command.fromCode(-1)).isNull();
    }

    @Test
    void anExtensionFrameIsTheNginxHeaderThenVersionReservedLengthAndPayload() throws FrameException {
        ChannelFrame message = ChannelFrame.message(4242, 3, HELLO);
        ByteBuffer bytes = FrameCodec.encode(message);
        assertThat(bytes.remaining()).isEqualTo(40 + HELLO.length);
        String hex = hex(bytes);
        assertThat(hex.substring(0, 64)).isEqualTo(
                "0400574d00000000" + "9210000000000000" + "0300000000000000" + "ffffffff00000000");
        assertThat(hex.substring(64, 80)).isEqualTo("0100" + "0000" + "0e000000");
        assertThat(hex.substring(80)).isEqualTo(HexFormat.of().formatHex(HELLO));
        assertThat(FrameCodec.decode(bytes, -1)).isEqualTo(message);
    }

    @Test
    void theLongestFrameCarriesTheFullPayload() throws FrameException {
        byte[] payload = new byte[FrameCodec.MAX_PAYLOAD];
        Arrays.fill(payload, (byte) 0x5a);
        ChannelFrame status = ChannelFrame.status(1, 0, payload);
        ByteBuffer bytes = FrameCodec.encode(status);
        assertThat(bytes.remaining()).isEqualTo(FrameCodec.MAX_FRAME_SIZE);
        assertThat(FrameCodec.decode(bytes, -1)).isEqualTo(status);
    }

    @Test
    void decodeLeavesTheBufferAsItWas() throws FrameException {
        ByteBuffer bytes = FrameCodec.encode(ChannelFrame.ready(7, 1)).order(ByteOrder.BIG_ENDIAN);
        FrameCodec.decode(bytes, -1);
        assertThat(bytes.position()).isZero();
        assertThat(bytes.limit()).isEqualTo(40);
        assertThat(bytes.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
    }

    @Test
    void decodeReadsFromThePositionOfALargerBuffer() throws FrameException {
        ByteBuffer big = ByteBuffer.allocateDirect(100);
        big.position(10);
        FrameCodec.encode(ChannelFrame.heartbeat(9, 2), big);
        big.limit(big.position()).position(10);
        assertThat(FrameCodec.decode(big, -1)).isEqualTo(ChannelFrame.heartbeat(9, 2));
    }

    @Test
    void theReceivedDescriptorReplacesTheSendersNumber() throws FrameException {
        ByteBuffer bytes = FrameCodec.encode(ChannelFrame.openChannel(100, 1, 7));
        assertThat(FrameCodec.decode(bytes, 42)).isEqualTo(ChannelFrame.openChannel(100, 1, 42));
    }

    @Test
    void fewerThan32BytesIsAShortFrame() {
        assertReason(Arrays.copyOf(bytes(ChannelFrame.quit()), 31), -1, SHORT_FRAME);
        assertReason(new byte[0], -1, SHORT_FRAME);
    }

    @Test
    void anExtensionFrameWithoutItsHeaderIsShort() {
        assertReason(Arrays.copyOf(bytes(ChannelFrame.ready(1, 1)), 39), -1, SHORT_FRAME);
        assertReason(Arrays.copyOf(bytes(ChannelFrame.ready(1, 1)), 32), -1, SHORT_FRAME);
    }

    @Test
    void moreThanTheLongestFrameIsOversized() {
        byte[] bytes = Arrays.copyOf(bytes(ChannelFrame.status(1, 1, new byte[FrameCodec.MAX_PAYLOAD])),
                FrameCodec.MAX_FRAME_SIZE + 1);
        assertReason(bytes, -1, OVERSIZED);
    }

    @Test
    void unknownCommandWordsAreRejected() {
        for (long word : new long[] {0, 6, 0x4D57_0000L, 0x4D57_000AL, 0x1_0000_0003L, -1L, 0x8000_0000_0000_0001L}) {
            byte[] bytes = bytes(ChannelFrame.quit());
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, word);
            assertReason(bytes, -1, UNKNOWN_COMMAND);
        }
    }

    @Test
    void bytesAfterAnNginxFrameAreTrailing() {
        assertReason(Arrays.copyOf(bytes(ChannelFrame.quit()), 33), -1, TRAILING_BYTES);
        assertReason(Arrays.copyOf(bytes(ChannelFrame.openChannel(1, 1, 5)), 40), 9, TRAILING_BYTES);
    }

    @Test
    void bytesAfterAnExtensionPayloadAreTrailing() {
        assertReason(Arrays.copyOf(bytes(ChannelFrame.message(1, 1, HELLO)), 40 + HELLO.length + 1), -1,
                TRAILING_BYTES);
    }

    @Test
    void nonZeroPaddingIsRejected() {
        for (int offset : new int[] {12, 13, 14, 15, 28, 29, 30, 31, 34, 35}) {
            byte[] bytes = bytes(ChannelFrame.ready(1, 1));
            bytes[offset] = 1;
            assertReason(bytes, -1, BAD_PADDING);
        }
    }

    @Test
    void aDescriptorWithAnyCommandButOpenChannelIsUnexpected() {
        for (ChannelFrame frame : new ChannelFrame[] {ChannelFrame.closeChannel(1, 1), ChannelFrame.quit(),
                ChannelFrame.terminate(), ChannelFrame.reopen(), ChannelFrame.ready(1, 1),
                ChannelFrame.heartbeat(1, 1), ChannelFrame.status(1, 1, HELLO), ChannelFrame.message(1, 1, HELLO)}) {
            assertReason(bytes(frame), 9, UNEXPECTED_DESCRIPTOR);
        }
    }

    @Test
    void openChannelWithoutADescriptorIsMissingOne() {
        assertReason(bytes(ChannelFrame.openChannel(1, 1, 7)), -1, MISSING_DESCRIPTOR);
    }

    @Test
    void theFdFieldMustAgreeWithTheCommand() {
        byte[] quit = bytes(ChannelFrame.quit());
        ByteBuffer.wrap(quit).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 7);
        assertReason(quit, -1, BAD_FD_FIELD);
        byte[] open = bytes(ChannelFrame.openChannel(1, 1, 7));
        ByteBuffer.wrap(open).order(ByteOrder.LITTLE_ENDIAN).putInt(24, -1);
        assertReason(open, 8, BAD_FD_FIELD);
    }

    @Test
    void negativePidOrSlotIsABadField() {
        byte[] pid = bytes(ChannelFrame.closeChannel(1, 1));
        ByteBuffer.wrap(pid).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -5);
        assertReason(pid, -1, BAD_FIELD);
        byte[] slot = bytes(ChannelFrame.closeChannel(1, 1));
        ByteBuffer.wrap(slot).order(ByteOrder.LITTLE_ENDIAN).putLong(16, -1);
        assertReason(slot, -1, BAD_FIELD);
    }

    @Test
    void anotherExtensionVersionIsRejected() {
        for (int version : new int[] {0, 2, 0xffff}) {
            byte[] bytes = bytes(ChannelFrame.heartbeat(1, 1));
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(32, (short) version);
            assertReason(bytes, -1, BAD_VERSION);
        }
    }

    @Test
    void aPayloadLengthBeyondTheBoundOrTheBytesIsRejected() {
        byte[] tooLong = bytes(ChannelFrame.status(1, 1, HELLO));
        ByteBuffer.wrap(tooLong).order(ByteOrder.LITTLE_ENDIAN).putInt(36, FrameCodec.MAX_PAYLOAD + 1);
        assertReason(tooLong, -1, BAD_PAYLOAD_LENGTH);
        byte[] huge = bytes(ChannelFrame.status(1, 1, HELLO));
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(36, -1);
        assertReason(huge, -1, BAD_PAYLOAD_LENGTH);
        byte[] beyond = bytes(ChannelFrame.status(1, 1, HELLO));
        ByteBuffer.wrap(beyond).order(ByteOrder.LITTLE_ENDIAN).putInt(36, HELLO.length + 1);
        assertReason(beyond, -1, BAD_PAYLOAD_LENGTH);
    }

    @Test
    void aFrameThatCannotBeSentCannotBeBuilt() {
        assertThatThrownBy(() -> ChannelFrame.openChannel(1, 1, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must carry a descriptor");
        assertThatThrownBy(() -> new ChannelFrame(Command.QUIT, 0, 0, 5, new byte[0]))
                .hasMessageContaining("fd must be -1");
        assertThatThrownBy(() -> new ChannelFrame(Command.QUIT, 0, 0, -1, new byte[1]))
                .hasMessageContaining("carries no payload");
        assertThatThrownBy(() -> ChannelFrame.message(1, 1, new byte[FrameCodec.MAX_PAYLOAD + 1]))
                .hasMessageContaining("exceeds the maximum of 4096");
        assertThatThrownBy(() -> ChannelFrame.closeChannel(-1, 1)).hasMessageContaining("pid must be >= 0");
        assertThatThrownBy(() -> ChannelFrame.closeChannel(1, -1)).hasMessageContaining("slot must be >= 0");
    }

    @Test
    void aFrameNeverChangesAfterItIsBuilt() {
        byte[] payload = HELLO.clone();
        ChannelFrame frame = ChannelFrame.message(1, 1, payload);
        payload[0] = 'X';
        frame.payload()[1] = 'Y';
        assertThat(frame.payload()).isEqualTo(HELLO);
        assertThat(frame).isEqualTo(ChannelFrame.message(1, 1, HELLO)).hasSameHashCodeAs(ChannelFrame.message(1, 1, HELLO));
        assertThat(frame.toString()).contains("MESSAGE", "pid=1", "14 bytes");
    }

    private static byte[] bytes(ChannelFrame frame) {
        ByteBuffer buffer = FrameCodec.encode(frame);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static String hex(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void assertReason(byte[] bytes, int receivedFd, FrameException.Reason reason) {
        assertThatThrownBy(() -> FrameCodec.decode(ByteBuffer.wrap(bytes), receivedFd))
                .as(HexFormat.of().formatHex(bytes))
                .isInstanceOfSatisfying(FrameException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
