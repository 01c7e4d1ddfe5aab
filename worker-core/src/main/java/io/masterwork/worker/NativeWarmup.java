package io.masterwork.worker;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;

import java.util.concurrent.CountDownLatch;

/**
 * The worker's two native layers loaded on a thread of their own while {@code main} sets up logging and reads
 * the configuration: jnr-ffi's libc binding (jffi's library, the reflection binder) and Netty's epoll transport
 * (its JNI library and the classes around it). Neither needs the other nor anything {@code main} does first, and
 * a respawned worker usually has a second CPU to itself: the two halves overlap instead of adding up
 * (docs/BENCHMARKS.md, "Worker start-up").
 *
 * <p>A plain {@link Thread}, no executor: nothing on this path may cost a class it does not need. {@code main}
 * waits for the libc binding only; Netty's part may still be loading when it takes it.
 */
final class NativeWarmup extends Thread {
    private final CountDownLatch libcDone = new CountDownLatch(1);
    private volatile Posix posix;
    private volatile Throwable failure;

    private NativeWarmup() {
        super("native-warmup");
        setDaemon(true);
    }

    static NativeWarmup begin() {
        NativeWarmup warmup = new NativeWarmup();
        warmup.start();
        return warmup;
    }

    @Override
    public void run() {
        try {
            Posix loaded = NativePosix.get();
            loaded.getpid();
            posix = loaded;
        } catch (Throwable e) {
            failure = e;
            return;
        } finally {
            libcDone.countDown();
        }
        // Loads and links the JNI library; whether epoll is usable is the event loop's to report.
        io.netty.channel.epoll.Epoll.isAvailable();
    }

    /** The libc binding, once loaded (waits for it); a failure to load is rethrown here, on main's path. */
    Posix posix() {
        boolean interrupted = false;
        for (;;) {
            try {
                libcDone.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (posix != null) {
            return posix;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        throw new IllegalStateException("the native warm-up thread ended without a libc binding", failure);
    }
}
