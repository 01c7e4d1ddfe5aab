package io.masterwork.api.http;

import io.masterwork.api.ApplicationContext;
import io.masterwork.api.MovedConnection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseEncoder;

import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Zero-loss reloads for a Netty HTTP/1.1 application: the HTTP codec plus a drain that knows where each
 * connection stands, for every connection of the application. Create one in
 * {@link io.masterwork.api.WorkerApplication#start}, serve each listener with {@link #initializer()}, and
 * return {@link #drain()} and call {@link #closeAll()} from the application's own methods. The application's
 * handlers (added by {@code application}) see what they would behind Netty's {@code HttpServerCodec}.
 *
 * <p>What it does, as the built-in application does:
 * <ul>
 *   <li>knows when a connection stands between two requests ({@link HttpBoundaryDecoder}) and when every
 *       request received has had its whole response written;</li>
 *   <li>on a drain with a successor ({@link io.masterwork.api.ConnectionHandover#available()}: a reload or
 *       TTOU with {@code connection_handover = on}) moves each keep-alive connection to a successor at its
 *       next clean boundary: the client's next request is answered by the new generation on the same TCP
 *       connection; the successor {@linkplain #adopt adopts} it into the same pipeline;</li>
 *   <li>on a drain without one (a stop, a binary upgrade) says {@code Connection: close} on the next answer of
 *       each connection and closes it once written; an idle connection gets a short grace for a request
 *       already on its way, then is closed;</li>
 *   <li>closes a connection once a response that does not keep it alive has been written (as Netty's
 *       {@code HttpServerKeepAliveHandler}), so the application never closes connections itself.</li>
 * </ul>
 *
 * <p>HTTP/1.1 in clear text only: a connection behind TLS cannot move (its keys stay in this process), and a
 * connection upgraded away from HTTP (a {@code 101} answer) is left to the application. Every method is for
 * the worker's event loop thread.
 */
public final class HttpHandover {
    private final HttpDecoderConfig decoderConfig;
    private final Consumer<ChannelPipeline> application;
    private final HttpDrain connections;
    private final ChannelHandler initializer = new Initializer();

    /**
     * Netty's default decoder limits; registers this as the worker's adopter of moved HTTP/1.1 connections.
     *
     * @param context     the application's context
     * @param application adds the application's handlers at the end of each connection's pipeline (after
     *                    the codec: an {@code HttpObjectAggregator} and a handler, say); also run for a
     *                    connection adopted from a retiring sibling
     */
    public HttpHandover(ApplicationContext context, Consumer<ChannelPipeline> application) {
        this(context, new HttpDecoderConfig(), application);
    }

    /**
     * As {@link #HttpHandover(ApplicationContext, Consumer)}, with the request decoder's limits.
     *
     * @param context       the application's context
     * @param decoderConfig the request decoder's limits (initial line, header size, chunk size)
     * @param application   adds the application's handlers at the end of each connection's pipeline
     */
    public HttpHandover(ApplicationContext context, HttpDecoderConfig decoderConfig, Consumer<ChannelPipeline> application) {
        Objects.requireNonNull(context, "context");
        this.decoderConfig = Objects.requireNonNull(decoderConfig, "decoderConfig");
        this.application = Objects.requireNonNull(application, "application");
        this.connections = new HttpDrain(context.handover());
        context.handover().onAdopt(this::adopt);
    }

    /**
     * The child handler for {@link io.masterwork.api.Listener#serve}.
     *
     * @return one initializer, shared by every listener
     */
    public ChannelHandler initializer() {
        return initializer;
    }

    /**
     * Installs the codec, the drain and the application's handlers on {@code channel}: for an application that
     * accepts connections with an initializer of its own. {@code served}: requests the connection served
     * elsewhere.
     *
     * @param channel a connection on this worker's event loop, its pipeline still empty
     * @param served  requests it served before (0 for a new connection)
     */
    public void install(Channel channel, int served) {
        HttpBoundaryDecoder decoder = new HttpBoundaryDecoder(decoderConfig);
        HandoverConnection connection = new HandoverConnection(decoder);
        channel.pipeline()
                .addLast("http-codec", new CombinedChannelDuplexHandler<>(decoder, new HttpResponseEncoder()))
                .addLast("http-handover", connection);
        application.accept(channel.pipeline());
        connection.drain(connections.add(channel, decoder, served, connection));
    }

    /**
     * Takes in a connection a retiring sibling moved here (registered as the worker's adopter by the
     * constructor): an HTTP/1.1 connection gets the same pipeline as an accepted one. Declines another
     * protocol, and while this worker drains unless it can pass the connection on to successors of its own.
     *
     * @param channel the moved connection, registered here
     * @param moved   its record
     * @return true when adopted, false when declined (the worker then closes it)
     */
    public boolean adopt(Channel channel, MovedConnection moved) {
        if (!HttpConnectionMove.PROTOCOL.equals(moved.protocol())) {
            return false;
        }
        if (!connections.mayAdopt()) {
            return false;
        }
        install(channel, HttpConnectionMove.served(moved));
        return true;
    }

    /**
     * For {@link io.masterwork.api.WorkerApplication#drain}: every connection moves or ends at its next clean
     * boundary.
     *
     * @return completes once no connection is left
     */
    public CompletionStage<Void> drain() {
        return connections.drain();
    }

    /** For {@link io.masterwork.api.WorkerApplication#closeAll}: closes every connection now. */
    public void closeAll() {
        connections.closeAll();
    }

    /**
     * The connections open now.
     *
     * @return their number
     */
    public int size() {
        return connections.size();
    }

    @ChannelHandler.Sharable
    private final class Initializer extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel channel) {
            install(channel, 0);
        }
    }
}
