package io.masterwork.worker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's threads for an application's blocking work ({@code ApplicationContext.blockingExecutor()}):
 * made only when first asked for (most applications never block, and a worker's start-up loads no pool),
 * at most {@link #MAX_THREADS}, each counted and named {@code blocking-N} so it shows in thread dumps and
 * error log lines; idle ones end after a minute. Stopped with the worker, after the application's stop hook.
 */
final class BlockingExecutor {
    private static final Logger log = LoggerFactory.getLogger(BlockingExecutor.class);

    /** Threads at most: blocking work queues beyond them instead of multiplying threads in every worker. */
    static final int MAX_THREADS = 8;

    private final AtomicInteger created = new AtomicInteger();
    private final AtomicInteger alive = new AtomicInteger();
    private ThreadPoolExecutor executor;

    synchronized ExecutorService get() {
        if (executor == null) {
            executor = new ThreadPoolExecutor(MAX_THREADS, MAX_THREADS, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    runnable -> {
                        Thread thread = new Thread(() -> {
                            alive.incrementAndGet();
                            try {
                                runnable.run();
                            } finally {
                                alive.decrementAndGet();
                            }
                        }, "blocking-" + created.incrementAndGet());
                        thread.setDaemon(true);
                        return thread;
                    });
            executor.allowCoreThreadTimeOut(true);
        }
        return executor;
    }

    /** Threads running now (what a thread count or a leak check reads). */
    int threads() {
        return alive.get();
    }

    /**
     * No new work; waits up to {@code bound} for the work under way, then interrupts what is left. True when no
     * blocking thread is left.
     */
    boolean stop(Duration bound) {
        ThreadPoolExecutor pool;
        synchronized (this) {
            pool = executor;
        }
        if (pool == null) {
            return true;
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{} blocking threads still busy after {} ms: interrupting them", threads(), bound.toMillis());
                pool.shutdownNow();
                return pool.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
