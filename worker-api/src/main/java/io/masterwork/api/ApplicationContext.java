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

    /**
     * Who this worker is.
     *
     * @return this worker's pid, slot, configuration generation and master pid; fixed for the worker's life
     */
    WorkerIdentity identity();

    /**
     * The listening sockets this worker inherited, none served yet when the application starts.
     *
     * @return one {@link Listener} per entry of the {@code listen} list, in its order (unmodifiable)
     */
    List<Listener> listeners();

    /**
     * The application's section of the configuration (for example {@code app { }} or
     * {@code http { }}), validated with the application's {@link SettingsCheck} in this worker, as the worker
     * user, before the application started (the master never runs application code), with its defaults filled
     * in.
     *
     * @param section the top-level key, the same as the application's {@link SettingsCheck#section()}
     * @return the validated section with its defaults; an empty config if the section is absent
     */
    Config settings(String section);

    /**
     * The whole configuration, for an application that reads beyond its own section.
     *
     * @return the validated configuration as the master rendered it (read-only, like every {@link Config})
     */
    Config configuration();

    /**
     * Where the server's relative paths are anchored.
     *
     * @return {@code masterwork.prefix}, the directory relative paths in the configuration resolve against
     */
    Path prefix();

    /**
     * The worker's one thread, like an nginx worker's: every {@link WorkerApplication} method is called on it,
     * and work from other threads (the {@linkplain #blockingExecutor() blocking executor}) comes back to it
     * with {@code execute}.
     *
     * @return the event loop every listener and the command channel run on
     */
    EventLoop eventLoop();

    /**
     * The sibling workers whose inbox this worker currently holds and can write to (a snapshot, ordered
     * by slot; the same as {@code messages().siblings()}): one found gone leaves the list at once, before
     * the master's CLOSE_CHANNEL.
     *
     * @return the siblings held at the time of the call (may be empty; callable from any thread)
     */
    List<Sibling> siblings();

    /**
     * Messages to and from the sibling workers over their inboxes.
     *
     * @return this worker's sender and receiver of sibling messages (send, broadcast, a handler)
     */
    SiblingMessages messages();

    /**
     * Threads for the application's blocking work (a file, a JDBC call), so that the event loop never blocks:
     * made when first asked for, at most a few per worker (work queues beyond them), named {@code blocking-N},
     * and stopped with the worker after {@link WorkerApplication#stopped} (what still runs then is waited for
     * a moment, then interrupted). Hand results back to the event loop with {@code eventLoop().execute}.
     *
     * @return the worker's executor for blocking work, the same one on every call
     * @throws UnsupportedOperationException in a context without a worker behind it
     */
    default java.util.concurrent.ExecutorService blockingExecutor() {
        throw new UnsupportedOperationException("this context has no worker behind it, hence no blocking executor");
    }

    /**
     * Live connection handover on reload and TTOU: move connections to a successor while draining, adopt
     * those a retiring sibling moves here. A context without a worker behind it moves nothing.
     *
     * @return this worker's handover, or {@link ConnectionHandover#NONE} in a context without a worker
     */
    default ConnectionHandover handover() {
        return ConnectionHandover.NONE;
    }
}
