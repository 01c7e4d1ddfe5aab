package io.masterwork.bench;

import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Received;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * sendmsg + recvmsg of one frame through a real SEQPACKET socketpair inside one thread: the cost of
 * the two system calls plus everything masterwork puts around them (jnr-ffi, codec, locks), with no
 * process wake-up in the way. The difference to the round trip is the scheduler's.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class ChannelLoopbackBenchmark {

    private final ChannelFrame closeChannel = ChannelFrame.closeChannel(12680, 2);
    private final ChannelFrame openChannel = ChannelFrame.openChannel(12679, 1, 0);
    private Posix posix;
    private Channel master;
    private Channel worker;
    private int passed;

    @Setup(Level.Trial)
    public void openPair() {
        posix = NativePosix.get();
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        master = new Channel(posix, pair[0]);
        worker = new Channel(posix, pair[1]);
        passed = posix.dup(0);
    }

    @TearDown(Level.Trial)
    public void closePair() {
        master.close();
        worker.close();
        posix.close(passed);
    }

    @Benchmark
    public ChannelFrame sendAndReceiveNginxFrame() {
        if (!master.send(closeChannel)) {
            throw new IllegalStateException("channel full");
        }
        return worker.receive().frame();
    }

    @Benchmark
    public ChannelFrame sendAndReceiveWithDescriptor() {
        if (!master.send(openChannel.withFd(passed))) {
            throw new IllegalStateException("channel full");
        }
        ChannelFrame frame = worker.receive().frame();
        posix.close(frame.fd());
        return frame;
    }

    @Benchmark
    public Received receiveFromEmptyChannel() {
        return worker.receive();
    }
}
