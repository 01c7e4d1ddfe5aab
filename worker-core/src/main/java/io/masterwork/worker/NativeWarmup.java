package io.masterwork.worker;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;

/**
 * The worker's two native layers loaded on a thread of their own while {@code main} sets up logging and reads
 * the configuration: jnr-ffi's libc binding (jffi's library, the reflection binder) and Netty's epoll transport
 * (its JNI library and the classes around it). Neither needs the other nor anything {@code main} does first, and
 * a respawned worker usually has a second CPU to itself: the two halves overlap instead of adding up
 * (docs/BENCHMARKS.md, "Worker start-up").
 *
 * <p>{@code main} waits for both before it goes on: the next step changes credentials, and a thread still loading
 * a library as root would open it as the worker's user half-way (a library copied to /tmp as root is then
 * unreadable). A plain {@link Thread}, no executor: nothing on this path may cost a class it does not need.
 */
final class NativeWarmup extends Thread {
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
            // Binding libc includes a first call through it (Native), so it is usable once this returns.
            posix = NativePosix.get();
            // Loads and links the JNI library; whether epoll is usable is the event loop's to report.
            io.netty.channel.epoll.Epoll.isAvailable();
        } catch (Throwable e) {
            failure = e;
        }
    }

    /**
     * The libc binding, once both layers are loaded (waits for the thread to end); a failure to load libc is
     * rethrown here, on main's path.
     */
    Posix posix() {
        boolean interrupted = false;
        while (isAlive()) {
            try {
                join();
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
