package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * A million random messages, half of them with a descriptor attached, written with raw sendmsg into
 * a real SEQPACKET socketpair and read by a {@link Channel}. Every one is either a valid frame (whose
 * bytes are canonical) or a typed rejection; nothing else happens, and the process ends with exactly
 * the descriptors it started with. About one in a hundred is an empty message, which recvmsg returns as it
 * returns end of file: the channel must reject it, and go on, because its writer is still open.
 */
class ChannelFuzzTest {

    private static final int FRAMES = Integer.getInteger("masterwork.fuzz.frames", 1_000_000);
    private static final Command[] COMMANDS = Command.values();

    private final Posix posix = NativePosix.get();
    private final SplittableRandom random = new SplittableRandom(Long.getLong("masterwork.fuzz.seed", 20261128L));

    @Test
    void aMillionRandomFramesNeitherCrashNorObeyNorLeak() {
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        int[] passed = posix.socketpair(SocketType.STREAM); // the descriptor that rides along
        int writer = pair[0];
        Channel reader = new Channel(posix, pair[1]);
        ByteBuffer out = ByteBuffer.allocateDirect(FrameCodec.MAX_FRAME_SIZE + 600).order(ByteOrder.LITTLE_ENDIAN);
        Map<FrameException.Reason, Integer> rejections = new EnumMap<>(FrameException.Reason.class);
        Map<Command, Integer> accepted = new EnumMap<>(Command.class);
        try {
            run(2_000, writer, passed[0], reader, out, new EnumMap<>(FrameException.Reason.class),
                    new EnumMap<>(Command.class)); // warm-up: classes and stubs loaded before counting
            OpenDescriptors.settle();
            long before = OpenDescriptors.count();
            java.util.SortedMap<Integer, String> beforeList = OpenDescriptors.list();

            run(FRAMES, writer, passed[0], reader, out, rejections, accepted);

            OpenDescriptors.settle();
            assertThat(OpenDescriptors.count()).as("open sockets after %d frames; before %s, after %s", FRAMES,
                    beforeList, OpenDescriptors.list()).isEqualTo(before);
        } finally {
            reader.close();
            posix.close(writer);
            posix.close(passed[0]);
            posix.close(passed[1]);
        }
        // The generator reaches both sides of the decoder, every command and every reason a single
        // sendmsg with at most one descriptor can produce.
        assertThat(accepted.keySet()).containsExactlyInAnyOrder(COMMANDS);
        // Empty messages, with and without a descriptor, were among them and each was rejected as a short frame.
        assertThat(empties).containsOnlyKeys(FrameException.Reason.SHORT_FRAME.toString());
        assertThat(empties.get(FrameException.Reason.SHORT_FRAME.toString())).isGreaterThan(FRAMES / 1000);
        assertThat(rejections.keySet()).contains(FrameException.Reason.UNKNOWN_COMMAND,
                FrameException.Reason.SHORT_FRAME, FrameException.Reason.OVERSIZED,
                FrameException.Reason.TRAILING_BYTES, FrameException.Reason.BAD_PADDING,
                FrameException.Reason.UNEXPECTED_DESCRIPTOR, FrameException.Reason.MISSING_DESCRIPTOR,
                FrameException.Reason.BAD_FD_FIELD, FrameException.Reason.BAD_FIELD,
                FrameException.Reason.BAD_VERSION, FrameException.Reason.BAD_PAYLOAD_LENGTH);
    }

    /** What the reader made of each empty message: its rejection's reason (or, wrongly, anything else). */
    private final Map<String, Integer> empties = new java.util.TreeMap<>();

    private void run(int frames, int writer, int passFd, Channel reader, ByteBuffer out,
                     Map<FrameException.Reason, Integer> rejections, Map<Command, Integer> accepted) {
        for (int i = 0; i < frames; i++) {
            out.clear();
            fill(out);
            out.flip();
            int length = out.remaining();
            boolean withDescriptor = random.nextBoolean();
            int sent = posix.sendMessage(writer, out, withDescriptor ? passFd : -1);
            assertThat(sent).as("frame %d", i).isEqualTo(length);

            Received received = reader.receive();
            if (length == 0) {
                // An empty message while the writer is open is a malformed frame, never end of file (PROTOCOL.md 4).
                empties.merge(received.isRejected() ? received.error().reason().toString() : received.toString(), 1, Integer::sum);
            }
            if (received.isFrame()) {
                ChannelFrame frame = received.frame();
                if (frame.hasDescriptor()) {
                    posix.close(frame.fd()); // ours now: a leak would show in the final count
                }
                assertCanonical(out, frame, i);
                accepted.merge(frame.command(), 1, Integer::sum);
            } else if (received.isRejected()) {
                rejections.merge(received.error().reason(), 1, Integer::sum);
            } else {
                throw new AssertionError("frame " + i + ": " + received + " for a " + length + "-byte message");
            }
        }
    }

    /** An accepted frame re-encodes to the bytes that were sent (OPEN_CHANNEL's fd field aside). */
    private static void assertCanonical(ByteBuffer sent, ChannelFrame frame, int i) {
        ByteBuffer again = FrameCodec.encode(frame);
        sent.rewind();
        if (frame.hasDescriptor()) {
            again.putInt(FrameCodec.FD_OFFSET, sent.order(ByteOrder.LITTLE_ENDIAN).getInt(FrameCodec.FD_OFFSET));
        }
        if (!again.equals(sent)) {
            throw new AssertionError("frame " + i + ": accepted " + frame + " from non-canonical bytes");
        }
    }

    /** Mostly damaged valid frames (they reach deep into the decoder), some pure noise, some oversized. */
    private void fill(ByteBuffer out) {
        int kind = random.nextInt(100);
        if (kind < 1) {
            return; // an empty message
        }
        if (kind < 8) {
            int length = random.nextInt(64);
            for (int i = 0; i < length; i++) {
                out.put((byte) random.nextInt());
            }
            return;
        }
        if (kind < 10) {
            int length = FrameCodec.MAX_FRAME_SIZE + 1 + random.nextInt(500);
            out.position(length); // whatever the buffer held: the length alone makes it oversized
            return;
        }
        Command command = COMMANDS[random.nextInt(COMMANDS.length)];
        byte[] payload = new byte[command.isExtension() ? payloadLength() : 0];
        for (int i = 0; i < payload.length; i += 64) {
            payload[i] = (byte) random.nextInt();
        }
        ChannelFrame frame = new ChannelFrame(command, random.nextInt(1 << 22), random.nextInt(1024),
                command.carriesDescriptor() ? random.nextInt(1024) : -1, payload);
        FrameCodec.encode(frame, out);
        if (kind < 40) {
            return; // valid as generated
        }
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            mutate(out);
        }
    }

    private int payloadLength() {
        int kind = random.nextInt(10);
        if (kind < 6) {
            return random.nextInt(32);
        }
        if (kind < 9) {
            return random.nextInt(FrameCodec.MAX_PAYLOAD + 1);
        }
        return FrameCodec.MAX_PAYLOAD;
    }

    private void mutate(ByteBuffer out) {
        int end = out.position();
        switch (random.nextInt(6)) {
            case 0 -> { // flip a byte in the headers
                if (end > 0) {
                    int at = random.nextInt(Math.min(end, 40));
                    out.put(at, (byte) (out.get(at) ^ (1 + random.nextInt(255))));
                }
            }
            case 1 -> { // flip any byte
                if (end > 0) {
                    int at = random.nextInt(end);
                    out.put(at, (byte) (out.get(at) ^ (1 + random.nextInt(255))));
                }
            }
            case 2 -> out.position(random.nextInt(end + 1)); // cut
            case 3 -> { // append
                int extra = Math.min(1 + random.nextInt(16), out.capacity() - end);
                for (int i = 0; i < extra; i++) {
                    out.put((byte) random.nextInt());
                }
            }
            case 4 -> { // a small or huge value into a header field
                int[] offsets = {0, 8, 12, 16, 24, 28, 32, 34, 36};
                int at = offsets[random.nextInt(offsets.length)];
                if (at + 4 <= end) {
                    int[] values = {-1, 0, 1, 2, 5, 6, 0x4D57_0001, 0x4D57_0005, FrameCodec.MAX_PAYLOAD + 1,
                            random.nextInt()};
                    out.order(ByteOrder.LITTLE_ENDIAN).putInt(at, values[random.nextInt(values.length)]);
                }
            }
            default -> { // declared payload length off by a little
                if (end >= 40) {
                    int declared = out.order(ByteOrder.LITTLE_ENDIAN).getInt(36);
                    out.putInt(36, declared + random.nextInt(5) - 2);
                }
            }
        }
    }
}
