package io.masterwork.api;

import com.typesafe.config.Config;
import io.netty.channel.EventLoop;

import java.nio.file.Path;
import java.util.List;

/** What a worker gives its application in {@link WorkerApplication#start}. */
public interface ApplicationContext {

    /** This worker: pid, slot, generation, master pid. */
    WorkerIdentity identity();

    /** The listening sockets, in the order of the {@code listen} list. */
    List<Listener> listeners();

    /**
     * The application's section of the configuration (for example {@code app { }} or
     * {@code http { }}), validated by the master with the application's {@link SettingsCheck} and with
     * its defaults filled in. An empty config if the section is absent.
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
     * Live connection handover on reload and TTOU: move connections to a successor while draining, adopt
     * those a retiring sibling moves here. A context without a worker behind it moves nothing.
     */
    default ConnectionHandover handover() {
        return ConnectionHandover.NONE;
    }
}
