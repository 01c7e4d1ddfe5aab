package io.masterwork.api;

import java.util.concurrent.CompletionStage;

/**
 * A server application run by every masterwork worker.
 *
 * <p>A downstream server names it with a Guice module listed in {@code modules.worker} (the module
 * binds {@code WorkerApplication} to its implementation, overriding the built-in HTTP application);
 * its jars reach the workers through {@code worker_class_path}. Every method is called on the
 * worker's event loop thread: never block in it.
 *
 * <p>Life cycle, as nginx's worker: {@link #start} once; then any number of {@link #reopen}; on a
 * graceful stop (QUIT, or the master gone) the worker first closes its copies of the listeners and
 * calls {@link #stopAccepting}, then {@link #drain}, and when the drain has not completed within
 * {@code worker_shutdown_timeout} (about a second when the master is gone), {@link #closeAll}; then
 * {@link #stopped}, and the worker stops its {@linkplain ApplicationContext#blockingExecutor() blocking
 * threads} and exits. On TERMINATE the worker exits without calling anything.
 */
public interface WorkerApplication {

    /**
     * Starts serving: typically calls {@link Listener#serve} for each listener. The returned stage
     * is the readiness report: when it completes the worker tells the master it is READY; when it
     * completes exceptionally the worker logs the cause and exits with status 2 (init failed, not
     * respawned). The worker reads its sibling inbox only once the stage has completed.
     *
     * @param context what this worker gives its application: listeners, settings, event loop, siblings
     * @return completes when the application serves; its exceptional completion fails the worker's start
     * @throws Exception when the application cannot start: the same as a stage completed exceptionally
     */
    CompletionStage<Void> start(ApplicationContext context) throws Exception;

    /** The listeners are closed; no new connection will arrive. Default: nothing to do. */
    default void stopAccepting() {
    }

    /**
     * Finishes what is in flight: let running requests complete, tell keep-alive clients that their
     * next response is the last, close idle connections gently. Completes when no connection is left.
     * When {@link ApplicationContext#handover()} is {@linkplain ConnectionHandover#available() available}
     * (a reload or TTOU replaces this worker), connections that reach a clean boundary can move to a
     * successor instead of closing: see {@link ConnectionHandover}.
     *
     * @return completes when no connection is left; {@link #closeAll} follows if it has not by
     *         {@code worker_shutdown_timeout}
     */
    CompletionStage<Void> drain();

    /** The drain ran out of time (or the master is gone): close every remaining connection now. */
    void closeAll();

    /**
     * The drain is over (every connection finished, moved or was closed): stop the application's own
     * resources (pools, clients, files) before the worker exits. Called once, on the event loop, after
     * {@link #drain} completed or {@link #closeAll} ran; work handed to the
     * {@linkplain ApplicationContext#blockingExecutor() blocking executor} still runs, and the worker waits a
     * moment for it after this returns. Not called on TERMINATE. Default: nothing to stop.
     */
    default void stopped() {
    }

    /**
     * The application's figures for the master's metrics, asked on the event loop when someone scrapes them; must
     * answer at once. Default: empty, this application does not count (the master then reports no request figures
     * for its workers rather than zeros). An exception thrown here counts as empty for that scrape.
     *
     * @return the counts since this worker started, or empty when the application does not count
     */
    default java.util.Optional<ApplicationFigures> figures() {
        return java.util.Optional.empty();
    }

    /** Reopen the application's own log files (USR1 on the master). Default: nothing to reopen. */
    default void reopen() {
    }
}
