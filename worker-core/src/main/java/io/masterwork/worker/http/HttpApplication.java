package io.masterwork.worker.http;

import io.masterwork.api.ApplicationContext;
import io.masterwork.api.Listener;
import io.masterwork.api.WorkerApplication;
import io.masterwork.api.http.HttpConnectionMove;
import io.masterwork.api.http.HttpDrain;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import jakarta.inject.Inject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The built-in application: HTTP/1.1 on Netty's codec, written against the worker SPI exactly as a
 * downstream application would be. Any path answers {@code http.body}; {@code /_worker} says who
 * answered; {@code /_bytes/N} streams N bytes at the client's pace; {@code /_siblings/requests} asks
 * every sibling worker over its inbox for its request count (see {@link SiblingRequestCounts});
 * {@code /_cache} and {@code POST /_cache/purge} keep and drop a cached value on every worker at once
 * (see {@link PurgeableValue}).
 */
public final class HttpApplication implements WorkerApplication {
    private static final Logger log = LoggerFactory.getLogger(HttpApplication.class);

    private ApplicationContext context;
    private HttpSettings settings;
    /** The content-length of http.body, formatted once. */
    private io.netty.util.AsciiString bodyLength;
    private AccessLog accessLog;
    /** The open connections and their drain: the public block a downstream application uses too. */
    private HttpDrain connections;
    private boolean refusalLogged;
    private final java.util.concurrent.atomic.LongAdder requests = new java.util.concurrent.atomic.LongAdder();
    private SiblingRequestCounts siblingRequestCounts;
    private PurgeableValue cache;
    private final java.util.concurrent.atomic.LongAdder moved = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder adopted = new java.util.concurrent.atomic.LongAdder();

    @Inject
    public HttpApplication() {
    }

    @Override
    public CompletionStage<Void> start(ApplicationContext context) throws IOException {
        this.context = context;
        this.settings = HttpSettings.from(context.settings(HttpSettings.SECTION));
        this.bodyLength = io.netty.util.AsciiString.of(Integer.toString(settings.body().length));
        if (!settings.accessLogOff()) {
            Path path = context.prefix().resolve(settings.accessLog());
            try {
                accessLog = AccessLog.open(path);
            } catch (IOException e) {
                throw new IOException("cannot open the access log " + path + ": " + e, e);
            }
        }
        siblingRequestCounts = new SiblingRequestCounts(context.messages(), context.identity(), context.eventLoop(),
                requests::sum);
        cache = new PurgeableValue(context.messages(), context.identity(), context.eventLoop());
        context.messages().onMessage(this::onSiblingMessage);
        connections = new HttpDrain(context.handover());
        context.handover().onAdopt(this::adopt);
        ChannelHandler initializer = new HttpChannelInitializer();
        for (Listener listener : context.listeners()) {
            listener.serve(initializer);
            log.debug("serving HTTP on {}", listener.address());
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Installs the pipeline of one accepted connection, or refuses it beyond worker_connections. */
    @ChannelHandler.Sharable
    private final class HttpChannelInitializer extends ChannelInitializer<SocketChannel> {
        @Override
        protected void initChannel(SocketChannel channel) {
            if (connections.draining() || connections.size() >= settings.workerConnections()) {
                if (!refusalLogged) {
                    // nginx: "1024 worker_connections are not enough"; once per worker, not per connection.
                    log.warn("{} worker_connections are not enough: closing new connections", settings.workerConnections());
                    refusalLogged = true;
                }
                channel.close();
                return;
            }
            refusalLogged = false;
            accept(channel);
        }
    }

    /** Serves HTTP on an accepted connection. */
    HttpConnection accept(io.netty.channel.Channel channel) {
        HttpConnection connection = new HttpConnection(channel, this, settings);
        connection.installPipeline();
        return connection;
    }

    /**
     * A connection a retiring sibling moved here (live handover): HTTP/1.1 between two requests, or a
     * WebSocket between two frames ({@code "websocket"}: the literal, so WebSocket classes load only when
     * one arrives). Declined beyond worker_connections, as a new connection would be, and while draining
     * unless this worker can pass it on to successors of its own.
     */
    boolean adopt(io.netty.channel.Channel channel, io.masterwork.api.MovedConnection moved) {
        boolean http = HttpConnectionMove.PROTOCOL.equals(moved.protocol());
        if (!http && !"websocket".equals(moved.protocol())) {
            return false;
        }
        if (!connections.mayAdopt() || connections.size() >= settings.workerConnections()) {
            return false;
        }
        HttpConnection connection = new HttpConnection(channel, this, settings);
        if (http) {
            connection.adoptPipeline(HttpConnectionMove.served(moved));
        } else {
            connection.adoptWebSocket();
        }
        adopted.increment();
        return true;
    }

    /** Whether a draining connection can move to a successor instead of closing. */
    boolean handoverAvailable() {
        return context != null && context.handover().available();
    }

    /** Moves {@code channel} to a successor (see {@link io.masterwork.api.ConnectionHandover#moveAway}). */
    boolean moveAway(io.netty.channel.Channel channel, io.masterwork.api.MovedConnection state) {
        boolean done = context.handover().moveAway(channel, state);
        if (done) {
            moved.increment();
        }
        return done;
    }

    /** An HTTP/1.1 connection moved to a successor (what {@code /_worker} reports). */
    void movedOne() {
        moved.increment();
    }

    long movedAway() {
        return moved.sum();
    }

    long adopted() {
        return adopted.sum();
    }

    io.netty.util.AsciiString bodyLength() {
        return bodyLength;
    }

    ApplicationContext context() {
        return context;
    }

    /** Counts one request this worker received (what {@code /_siblings/requests} reports). */
    void requestReceived() {
        requests.increment();
    }

    SiblingRequestCounts siblingRequestCounts() {
        return siblingRequestCounts;
    }

    PurgeableValue cache() {
        return cache;
    }

    /** The inbox: the built-in application's two uses of sibling messages; anything else is logged. */
    private void onSiblingMessage(io.masterwork.api.SiblingMessage message) {
        if (!siblingRequestCounts.handle(message) && !cache.handle(message)) {
            log.warn("ignored a message from sibling slot {} pid {}: not one of this application's ({} bytes)",
                    message.senderSlot(), message.senderPid(), message.payload().length);
        }
    }

    AccessLog accessLog() {
        return accessLog;
    }

    HttpDrain connections() {
        return connections;
    }

    @Override
    public CompletionStage<Void> drain() {
        return connections.drain();
    }

    @Override
    public void closeAll() {
        connections.closeAll();
    }

    @Override
    public java.util.Optional<io.masterwork.api.ApplicationFigures> figures() {
        return java.util.Optional.of(new io.masterwork.api.ApplicationFigures(requests.sum(), connections.size(),
                moved.sum(), adopted.sum()));
    }

    @Override
    public void reopen() {
        if (accessLog != null) {
            accessLog.reopen();
        }
    }
}
