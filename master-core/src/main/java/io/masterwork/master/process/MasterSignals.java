package io.masterwork.master.process;

import io.masterwork.posix.Posix;
import io.masterwork.posix.Signal;
import io.masterwork.posix.SignalInfo;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Queue;
import java.util.Set;

/**
 * The master's signals, read from a signalfd. They were blocked in every thread before the JVM
 * started its own (SignalRoute re-executes the master with them blocked), so the kernel queues them
 * here instead of acting on them — QUIT included, which HotSpot would otherwise keep for thread dumps.
 * Like gunicorn's SIG_QUEUE, nothing is done on arrival; the master loop takes them in order.
 */
public final class MasterSignals implements AutoCloseable {
    /** Every signal nginx's master acts on, plus CHLD and IO. */
    public static final Set<Signal> HANDLED = EnumSet.of(Signal.HUP, Signal.INT, Signal.QUIT, Signal.TERM,
            Signal.USR1, Signal.USR2, Signal.WINCH, Signal.CHLD, Signal.TTIN, Signal.TTOU, Signal.IO);

    private final Posix posix;
    private final int fd;

    MasterSignals(Posix posix) {
        this.posix = posix;
        Set<Signal> blocked = posix.blockedSignals();
        if (!blocked.containsAll(HANDLED)) {
            // Blocking only now would leave the JVM's other threads able to take them.
            throw new IllegalStateException("the master's signals are not blocked (blocked: " + blocked
                    + "); start the master through io.masterwork.posix.SignalRoute");
        }
        this.fd = posix.signalFd(HANDLED);
    }

    int fd() {
        return fd;
    }

    /** Everything pending, in arrival order. */
    Queue<SignalInfo> drain() {
        Queue<SignalInfo> pending = new ArrayDeque<>();
        SignalInfo info;
        while ((info = posix.readSignal(fd)) != null) {
            pending.add(info);
        }
        return pending;
    }

    @Override
    public void close() {
        posix.closeQuietly(fd);
    }
}
