package io.masterwork.worker.http;

import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One deadline of one connection, re-armed on every request without touching the event loop's timer queue. nginx
 * re-arms its keep-alive and header timers per request in a red-black tree; Netty's scheduled tasks are a priority
 * queue, and scheduling then cancelling one task per request cost ~10% of a worker's CPU under keep-alive load. Here
 * arming only moves the deadline: the one task in the queue is replaced only when the new deadline comes before it
 * would fire (rare: keep-alive and header timeouts move forward), and when it fires early it schedules itself again
 * for what is left. Event loop thread only.
 */
final class DeadlineTimer {
    private final EventExecutor loop;
    private final Runnable onExpiry;
    private boolean armed;
    private long deadlineNanos;
    private ScheduledFuture<?> task;
    private long taskAtNanos;

    DeadlineTimer(EventExecutor loop, Runnable onExpiry) {
        this.loop = loop;
        this.onExpiry = onExpiry;
    }

    /** From now on, {@code onExpiry} runs {@code delayNanos} from now unless this is armed again or disarmed first. */
    void arm(long delayNanos) {
        long now = System.nanoTime();
        deadlineNanos = now + delayNanos;
        armed = true;
        if (task == null || taskAtNanos - deadlineNanos > 0) {
            if (task != null) {
                task.cancel(false);
            }
            schedule(now, delayNanos);
        }
    }

    /** Nothing is due any more; a task already in the queue stays there and finds nothing to do. */
    void disarm() {
        armed = false;
    }

    /** Disarmed, and out of the event loop's queue: the connection is gone. */
    void cancel() {
        armed = false;
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }

    boolean armed() {
        return armed;
    }

    private void schedule(long now, long delayNanos) {
        taskAtNanos = now + delayNanos;
        task = loop.schedule(this::fire, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void fire() {
        task = null;
        if (!armed) {
            return;
        }
        long now = System.nanoTime();
        long left = deadlineNanos - now;
        if (left > 0) {
            schedule(now, left);
            return;
        }
        armed = false;
        onExpiry.run();
    }
}
