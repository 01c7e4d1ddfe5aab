package io.masterwork.bench;

import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.FrameCodec;
import io.masterwork.channel.FrameException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode and decode cost of one frame, as {@link io.masterwork.channel.Channel} does it: into and out
 * of a reused direct buffer. The nginx frame is the 32-byte core; the message carries 1 KiB.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FrameCodecBenchmark {

    private final ChannelFrame closeChannel = ChannelFrame.closeChannel(12680, 2);
    private final ChannelFrame openChannel = ChannelFrame.openChannel(12679, 1, 7);
    private final ChannelFrame message = ChannelFrame.message(4242, 3, new byte[1024]);
    private final ByteBuffer out = ByteBuffer.allocateDirect(FrameCodec.MAX_FRAME_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer encodedCloseChannel;
    private ByteBuffer encodedOpenChannel;
    private ByteBuffer encodedMessage;

    @Setup
    public void encodeOnce() {
        encodedCloseChannel = direct(FrameCodec.encode(closeChannel));
        encodedOpenChannel = direct(FrameCodec.encode(openChannel));
        encodedMessage = direct(FrameCodec.encode(message));
    }

    private static ByteBuffer direct(ByteBuffer heap) {
        ByteBuffer direct = ByteBuffer.allocateDirect(heap.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        return direct.put(heap).flip();
    }

    @Benchmark
    public int encodeNginxFrame() {
        out.clear();
        return FrameCodec.encode(closeChannel, out);
    }

    @Benchmark
    public ChannelFrame decodeNginxFrame() throws FrameException {
        return FrameCodec.decode(encodedCloseChannel, -1);
    }

    @Benchmark
    public ChannelFrame decodeOpenChannelWithDescriptor() throws FrameException {
        return FrameCodec.decode(encodedOpenChannel, 9);
    }

    @Benchmark
    public int encodeMessage1KiB() {
        out.clear();
        return FrameCodec.encode(message, out);
    }

    @Benchmark
    public ChannelFrame decodeMessage1KiB() throws FrameException {
        return FrameCodec.decode(encodedMessage, -1);
    }

    @Benchmark
    public ChannelFrame buildAndEncodeHeartbeat() {
        ChannelFrame heartbeat = ChannelFrame.heartbeat(4242, 3);
        out.clear();
        FrameCodec.encode(heartbeat, out);
        return heartbeat;
    }
}
