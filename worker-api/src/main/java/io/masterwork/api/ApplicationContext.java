package io.masterwork.api;

import com.typesafe.config.Config;
import io.netty.channel.EventLoop;

import java.nio.file.Path;
import java.util.List;

/**
 * What a worker gives its application in {@link WorkerApplication#start}; the same object is injectable
 * (Guice) into the application's constructor, as is {@link WorkerIdentity}.
 */
public interface ApplicationContext {

    /** This worker: pid, slot, generation, master pid. */
    WorkerIdentity identity();

    /** The listening sockets, in the order of the {@code listen} list. */
    List<Listener> listeners();

    /**
     * The application's section of the configuration (for example {@code app { }} or
     * {@code http { }}), validated with the application's {@link SettingsCheck} in this worker, as the worker
     * user, before the application started (the master never runs application code), with its defaults filled
     * in. An empty config if the section is absent.
     */
    Config settings(String section);

    /** The whole validated configuration as the master rendered it (read-only). */
    Config configuration();

    /** {@code masterwork.prefix}: relative paths in the configuration resolve against it. */
    Path prefix();

    /** The event loop every listener and the command channel run on (one thread, like an nginx worker). */
    EventLoop eventLoop();

    /**
     * The sibling workers whose inbox this worker currently holds and can write to (a snapshot, ordered
     * by slot; the same as {@code messages().siblings()}): one found gone leaves the list at once, before
     * the master's CLOSE_CHANNEL.
     */
    List<Sibling> siblings();

    /** Messages to and from the sibling workers over their inboxes (send, broadcast, a handler). */
    SiblingMessages messages();

    /**
     * Threads for the application's blocking work (a file, a JDBC call), so that the event loop never blocks:
     * made when first asked for, at most a few per worker (work queues beyond them), named {@code blocking-N},
     * and stopped with the worker after {@link WorkerApplication#stopped} (what still runs then is waited for
     * a moment, then interrupted). Hand results back to the event loop with {@code eventLoop().execute}.
     *
     * @throws UnsupportedOperationException in a context without a worker behind it
     */
    default java.util.concurrent.ExecutorService blockingExecutor() {
        throw new UnsupportedOperationException("this context has no worker behind it, hence no blocking executor");
    }

    /**
     * Live connection handover on reload and TTOU: move connections to a successor while draining, adopt
     * those a retiring sibling moves here. A context without a worker behind it moves nothing.
     */
    default ConnectionHandover handover() {
        return ConnectionHandover.NONE;
    }
}
