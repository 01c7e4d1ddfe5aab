package io.masterwork.worker;

import io.masterwork.api.WorkerApplication;
import io.netty.channel.EventLoop;
import io.netty.channel.ServerChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * How a worker ends (nginx's {@code ngx_worker_process_cycle} with {@code ngx_exiting}):
 * a graceful drain bounded by {@code worker_shutdown_timeout} on QUIT, the same with a one-second
 * bound when the master is gone, an immediate exit on TERMINATE. Runs on the event loop thread.
 */
final class WorkerShutdown {
    private static final Logger log = LoggerFactory.getLogger(WorkerShutdown.class);

    /** When the master is gone nobody will wait for this worker: in-flight requests get about a second. */
    static final Duration MASTER_GONE_BOUND = Duration.ofSeconds(1);

    private final EventLoop loop;
    private final List<InheritedListener> listeners;
    private final CompletableFuture<Integer> exitStatus;
    private WorkerApplication application;
    private boolean draining;
    private volatile boolean stopped;
    private long deadlineNanos;
    private ScheduledFuture<?> deadline;

    WorkerShutdown(EventLoop loop, List<InheritedListener> listeners, CompletableFuture<Integer> exitStatus) {
        this.loop = loop;
        this.listeners = listeners;
        this.exitStatus = exitStatus;
    }

    void application(WorkerApplication application) {
        this.application = application;
    }

    /** QUIT: stop accepting, let in-flight requests finish, then exit 0; at the bound, close what remains. */
    void quit(Duration bound) {
        drain("QUIT", bound);
    }

    /** EOF on the command channel: no orphan keeps serving the ports. */
    void masterGone() {
        drain("the master is gone", MASTER_GONE_BOUND);
    }

    /** TERMINATE: exit now. */
    void terminate() {
        log.info("exiting (TERMINATE)");
        exit(0);
    }

    void exit(int status) {
        exitStatus.complete(status);
    }

    private void drain(String reason, Duration bound) {
        long newDeadline = System.nanoTime() + bound.toNanos();
        if (draining) {
            // A second reason may only shorten the wait (QUIT, then the master dies).
            if (newDeadline - deadlineNanos < 0) {
                log.info("{}: finishing within {} ms", reason, bound.toMillis());
                scheduleDeadline(newDeadline);
            }
            return;
        }
        draining = true;
        log.info("gracefully shutting down ({}), bound {} ms", reason, bound.toMillis());
        stopAccepting();
        if (application == null) {
            // Not started yet: nothing in flight.
            exit(0);
            return;
        }
        scheduleDeadline(newDeadline);
        try {
            application.stopAccepting();
            application.drain().whenComplete((ok, failure) -> loop.execute(() -> {
                if (failure != null) {
                    log.error("the application's drain failed", failure);
                }
                log.info("exiting: every connection finished");
                stopApplication();
                exit(0);
            }));
        } catch (RuntimeException e) {
            log.error("the application's drain failed", e);
            closeAllAndExit();
        }
    }

    /**
     * Closes this worker's copies of the listening sockets: the master and the other workers keep
     * theirs, so the port stays served and new connections go to them.
     */
    private void stopAccepting() {
        for (InheritedListener listener : listeners) {
            ServerChannel channel = listener.channel();
            if (channel != null) {
                channel.close();
            } else {
                listener.closeUnserved();
            }
        }
    }

    private void scheduleDeadline(long atNanos) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        deadlineNanos = atNanos;
        deadline = loop.schedule(() -> {
            log.warn("shutdown bound reached: closing the remaining connections");
            closeAllAndExit();
        }, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void closeAllAndExit() {
        try {
            if (application != null) {
                application.closeAll();
            }
        } catch (RuntimeException e) {
            log.error("the application's closeAll failed", e);
        }
        stopApplication();
        exit(0);
    }

    /** Whether the application's stop hook ran: the end was graceful. */
    boolean applicationStopped() {
        return stopped;
    }

    /** The application's stop hook, once, after its drain or closeAll. */
    private void stopApplication() {
        if (application == null || stopped) {
            return;
        }
        stopped = true;
        try {
            application.stopped();
        } catch (RuntimeException e) {
            log.error("the application's stop hook failed", e);
        }
    }
}
