package io.masterwork.worker;

import com.typesafe.config.Config;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.ConnectionHandover;
import io.masterwork.api.Listener;
import io.masterwork.api.Sibling;
import io.masterwork.api.SiblingMessages;
import io.masterwork.api.WorkerIdentity;
import io.netty.channel.EventLoop;

import java.nio.file.Path;
import java.util.List;

/** What the worker hands its application. */
final class WorkerContext implements ApplicationContext {
    private final WorkerIdentity identity;
    private final List<Listener> listeners;
    private final WorkerConfiguration configuration;
    private final EventLoop eventLoop;
    private final SiblingInboxes siblings;
    private ConnectionHandover handover = ConnectionHandover.NONE;
    private BlockingExecutor blocking = new BlockingExecutor();

    WorkerContext(WorkerIdentity identity, List<Listener> listeners, WorkerConfiguration configuration,
                  EventLoop eventLoop, SiblingInboxes siblings) {
        this.identity = identity;
        this.listeners = List.copyOf(listeners);
        this.configuration = configuration;
        this.eventLoop = eventLoop;
        this.siblings = siblings;
    }

    @Override
    public WorkerIdentity identity() {
        return identity;
    }

    @Override
    public List<Listener> listeners() {
        return listeners;
    }

    @Override
    public Config settings(String section) {
        return configuration.section(section);
    }

    @Override
    public Config configuration() {
        return configuration.config();
    }

    @Override
    public Path prefix() {
        return configuration.prefix();
    }

    @Override
    public EventLoop eventLoop() {
        return eventLoop;
    }

    @Override
    public List<Sibling> siblings() {
        return siblings.snapshot();
    }

    @Override
    public SiblingMessages messages() {
        return siblings;
    }

    /** Set by the worker before the application starts. */
    WorkerContext handover(ConnectionHandover handover) {
        this.handover = handover;
        return this;
    }

    /** Set by the worker, which stops it when it exits. */
    WorkerContext blocking(BlockingExecutor blocking) {
        this.blocking = blocking;
        return this;
    }

    @Override
    public java.util.concurrent.ExecutorService blockingExecutor() {
        return blocking.get();
    }

    @Override
    public ConnectionHandover handover() {
        return handover;
    }
}
