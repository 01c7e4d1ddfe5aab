package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of the codec over generated frames and generated damage to them. */
class FrameCodecPropertiesTest {

    @Property(tries = 2000)
    void everyFrameOfEveryCommandSurvivesEncodeThenDecode(@ForAll("frames") ChannelFrame frame) throws FrameException {
        ByteBuffer bytes = FrameCodec.encode(frame);
        assertThat(bytes.remaining()).isEqualTo(FrameCodec.encodedSize(frame));
        assertThat(FrameCodec.decode(bytes, frame.fd())).isEqualTo(frame);
    }

    @Property(tries = 3000)
    void everyMutationDecodesToAValidFrameOrIsAFrameException(
            @ForAll("frames") ChannelFrame frame,
            @ForAll("mutations") Mutation mutation,
            @ForAll @IntRange(min = -1, max = 3) int receivedFd) {
        byte[] bytes = mutation.apply(toBytes(frame));
        assertDecodesCanonicallyOrRejects(bytes, receivedFd < 0 ? -1 : 10 + receivedFd);
    }

    @Property(tries = 3000)
    void arbitraryBytesDecodeToAValidFrameOrAreAFrameException(
            @ForAll @Size(max = FrameCodec.MAX_FRAME_SIZE + 8) byte[] bytes, @ForAll boolean withDescriptor) {
        assertDecodesCanonicallyOrRejects(bytes, withDescriptor ? 17 : -1);
    }

    /**
     * Either a FrameException, or a frame that encodes back to exactly these bytes (apart from the fd
     * field of OPEN_CHANNEL, which the received descriptor replaces): decoding accepts only canonical
     * bytes, so nothing is silently ignored.
     */
    static void assertDecodesCanonicallyOrRejects(byte[] bytes, int receivedFd) {
        ChannelFrame decoded;
        try {
            decoded = FrameCodec.decode(ByteBuffer.wrap(bytes), receivedFd);
        } catch (FrameException expected) {
            assertThat(expected.reason()).isNotNull();
            assertThat(expected.getMessage()).startsWith(expected.reason().name());
            return;
        }
        assertThat(decoded.fd()).isEqualTo(decoded.command().carriesDescriptor() ? receivedFd : -1);
        byte[] reencoded = toBytes(decoded);
        if (decoded.command().carriesDescriptor()) {
            System.arraycopy(bytes, FrameCodec.FD_OFFSET, reencoded, FrameCodec.FD_OFFSET, 4);
        }
        assertThat(reencoded).isEqualTo(bytes);
    }

    @Provide
    Arbitrary<ChannelFrame> frames() {
        Arbitrary<Command> commands = Arbitraries.of(Command.class);
        Arbitrary<Integer> pids = Arbitraries.oneOf(Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.of(0, 1, Integer.MAX_VALUE));
        Arbitrary<Long> slots = Arbitraries.oneOf(Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.longs().between(0, 1024));
        Arbitrary<Integer> fds = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        Arbitrary<byte[]> payloads = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(64),
                Arbitraries.bytes().array(byte[].class).ofMinSize(FrameCodec.MAX_PAYLOAD - 8)
                        .ofMaxSize(FrameCodec.MAX_PAYLOAD));
        return Combinators.combine(commands, pids, slots, fds, payloads).as((command, pid, slot, fd, payload) ->
                new ChannelFrame(command, pid, slot, command.carriesDescriptor() ? fd : -1,
                        command.isExtension() ? payload : new byte[0]));
    }

    /** Damage a sender or a stray writer could do to a frame. */
    interface Mutation {
        byte[] apply(byte[] bytes);
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        Arbitrary<Mutation> flipOneByte = Combinators.combine(Arbitraries.integers().between(0, 4200),
                Arbitraries.bytes()).as((index, value) -> bytes -> {
                    if (bytes.length > 0) {
                        bytes[index % bytes.length] ^= (byte) (value == 0 ? 1 : value);
                    }
                    return bytes;
                });
        Arbitrary<Mutation> setOneByte = Combinators.combine(Arbitraries.integers().between(0, 47),
                Arbitraries.bytes()).as((index, value) -> bytes -> {
                    if (index < bytes.length) {
                        bytes[index] = value;
                    }
                    return bytes;
                });
        Arbitrary<Mutation> truncate = Arbitraries.integers().between(0, 4200)
                .map(cut -> bytes -> Arrays.copyOf(bytes, Math.min(cut, bytes.length)));
        Arbitrary<Mutation> append = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(16)
                .map(extra -> bytes -> {
                    byte[] longer = Arrays.copyOf(bytes, bytes.length + extra.length);
                    System.arraycopy(extra, 0, longer, bytes.length, extra.length);
                    return longer;
                });
        Arbitrary<Mutation> overwriteWord = Combinators.combine(Arbitraries.of(0, 8, 16, 24, 32, 36),
                Arbitraries.longs()).as((offset, word) -> bytes -> {
                    if (offset + 8 <= bytes.length) {
                        ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(offset, word);
                    }
                    return bytes;
                });
        Arbitrary<Mutation> one = Arbitraries.oneOf(flipOneByte, setOneByte, truncate, append, overwriteWord);
        return one.list().ofMinSize(1).ofMaxSize(3).map(list -> bytes -> {
            byte[] result = bytes;
            for (Mutation m : list) {
                result = m.apply(result);
            }
            return result;
        });
    }

    private static byte[] toBytes(ChannelFrame frame) {
        ByteBuffer buffer = FrameCodec.encode(frame);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
