package io.masterwork.bench;

import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Received;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;
import io.masterwork.posix.SpawnRequest;
import io.masterwork.posix.WaitStatus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The round trip of one 32-byte nginx frame between two real JVM processes over a SEQPACKET
 * socketpair: this process spawns a child JVM (posix_spawn, the channel mapped to fd 3) that echoes
 * every frame back, and times each round trip with {@link System#nanoTime()}.
 *
 * <p>Both sides do what a masterwork event loop does: wait for readiness with poll(2), then
 * {@link Channel#receive()} (recvmsg) and {@link Channel#send} (sendmsg) — the same system calls as
 * {@code benchmarks/c/channel_pingpong.c} in its default mode, so the ratio is the JVM's overhead.
 *
 * <p>Usage: {@code java -cp masterwork-benchmarks.jar io.masterwork.bench.ChannelRoundTrip
 * [--round-trips=20000] [--warmup=20000] [--child-cpu=K]}. Pin this JVM with taskset; the child
 * inherits the pinning, or is pinned to CPU K (started through {@code taskset -c K}).
 * Prints one line: {@code jvm round_trips=N median_us=.. p99_us=.. mean_us=.. min_us=..}.
 */
public final class ChannelRoundTrip {

    static final int CHILD_CHANNEL_FD = 3;
    private static final int POLL_TIMEOUT_MILLIS = 10_000;

    private ChannelRoundTrip() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args);
        if (options.containsKey("echo")) {
            System.exit(echo(NativePosix.get()));
        }
        int roundTrips = Integer.parseInt(options.getOrDefault("round-trips", "20000"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "20000"));
        String childCpu = options.get("child-cpu");
        long[] nanos = measure(NativePosix.get(), roundTrips, warmup, childCpu);
        System.out.println(Stats.line("jvm", nanos));
    }

    static long[] measure(Posix posix, int roundTrips, int warmup, String childCpu) {
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        int childPid;
        try {
            childPid = posix.spawn(echoRequest(childCpu).mapFd(pair[1], CHILD_CHANNEL_FD));
        } finally {
            posix.close(pair[1]);
        }
        long[] nanos = new long[roundTrips];
        ChannelFrame frame = ChannelFrame.closeChannel(12680, 2);
        try (Channel channel = new Channel(posix, pair[0])) {
            for (int i = 0; i < warmup + roundTrips; i++) {
                long start = System.nanoTime();
                if (!channel.send(frame)) {
                    throw new IllegalStateException("an empty channel refused a frame");
                }
                ChannelFrame echoed = awaitFrame(posix, channel);
                long elapsed = System.nanoTime() - start;
                if (!echoed.equals(frame)) {
                    throw new IllegalStateException("echo changed the frame: " + echoed);
                }
                if (i >= warmup) {
                    nanos[i - warmup] = elapsed;
                }
            }
        } finally {
            reap(posix, childPid);
        }
        return nanos;
    }

    /** The child: echo every frame until the parent closes its end. */
    static int echo(Posix posix) {
        try (Channel channel = new Channel(posix, CHILD_CHANNEL_FD)) {
            while (true) {
                Received received = channel.receive();
                if (received.isFrame()) {
                    if (!channel.send(received.frame())) {
                        throw new IllegalStateException("the parent's channel is full");
                    }
                } else if (received.wouldBlock()) {
                    posix.pollReadable(new int[] {CHILD_CHANNEL_FD}, POLL_TIMEOUT_MILLIS);
                } else if (received.isEof()) {
                    return 0;
                } else {
                    throw new IllegalStateException("echo: " + received);
                }
            }
        }
    }

    private static ChannelFrame awaitFrame(Posix posix, Channel channel) {
        int[] fds = {channel.fd()};
        while (true) {
            if (posix.pollReadable(fds, POLL_TIMEOUT_MILLIS).isEmpty()) {
                throw new IllegalStateException("no echo within " + POLL_TIMEOUT_MILLIS + " ms");
            }
            Received received = channel.receive();
            if (received.isFrame()) {
                return received.frame();
            }
            if (!received.wouldBlock()) {
                throw new IllegalStateException("the echo process answered " + received);
            }
        }
    }

    private static SpawnRequest echoRequest(String childCpu) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> argv = new ArrayList<>();
        String program = java;
        if (childCpu != null) {
            program = Files.isExecutable(Path.of("/usr/bin/taskset")) ? "/usr/bin/taskset" : "/bin/taskset";
            argv.addAll(List.of("taskset", "-c", childCpu));
        }
        argv.add(java);
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add(ChannelRoundTrip.class.getName());
        argv.add("--echo");
        List<String> environment = new ArrayList<>();
        System.getenv().forEach((name, value) -> environment.add(name + "=" + value));
        return new SpawnRequest(program).argv(argv).environment(environment)
                .mapFd(1, 1).mapFd(2, 2);
    }

    private static void reap(Posix posix, int pid) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            WaitStatus status = posix.waitpid(pid, true);
            if (status != null) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        posix.kill(pid, io.masterwork.posix.Signal.KILL);
        posix.waitpid(pid, false);
    }

    /** "--name=value" and "--flag" options. */
    static final class Options {
        private Options() {
        }

        static Map<String, String> parse(String[] args) {
            Map<String, String> options = new java.util.HashMap<>();
            for (String arg : args) {
                if (!arg.startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument " + arg + " (options are --name=value)");
                }
                int eq = arg.indexOf('=');
                if (eq < 0) {
                    options.put(arg.substring(2), "true");
                } else {
                    options.put(arg.substring(2, eq), arg.substring(eq + 1));
                }
            }
            return options;
        }
    }

    /** Median, p99, mean and minimum in microseconds, on one line the bench script parses. */
    static final class Stats {
        private Stats() {
        }

        static String line(String label, long[] nanos) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            double mean = Arrays.stream(sorted).average().orElse(0);
            return String.format(Locale.ROOT, "%s round_trips=%d median_us=%.2f p99_us=%.2f mean_us=%.2f min_us=%.2f",
                    label, sorted.length, percentile(sorted, 50) / 1000.0, percentile(sorted, 99) / 1000.0,
                    mean / 1000.0, sorted[0] / 1000.0);
        }

        static long percentile(long[] sorted, double p) {
            int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }
    }
}
