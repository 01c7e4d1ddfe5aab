package io.masterwork.worker.http;

import io.masterwork.api.http.HttpBoundaryDecoder;
import io.masterwork.api.http.HttpConnectionDrain;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * One client connection and its timers, nginx's way: {@code client_header_timeout} while a request
 * is being read (from accept for the first one, from its first byte for the next), the
 * {@code keepalive_timeout} between requests, {@code send_timeout} while a response waits on the
 * client, and a lingering close (FIN, read and discard, then close) whenever the server ends a
 * connection that may still have unread input, so the client never sees a reset instead of its
 * response. Its drain (moving to a successor, or {@code Connection: close} and an end after the grace) is
 * the public block's ({@link HttpConnectionDrain}), as for any downstream application. Used on the event loop
 * thread only.
 */
final class HttpConnection implements HttpConnectionDrain.Owner {
    private static final Logger log = LoggerFactory.getLogger(HttpConnection.class);

    /** Request bodies are read and dropped as they stream; a larger one is 413 (nginx's client_max_body_size default). */
    static final int MAX_BODY = 1024 * 1024;
    /** nginx's lingering_timeout: how long to read and discard after our FIN. */
    static final Duration LINGERING_TIMEOUT = Duration.ofSeconds(2);

    private enum Timer { NONE, HEADER, KEEPALIVE, DRAIN_GRACE, LINGERING }

    private final Channel channel;
    private final HttpApplication application;
    private final HttpSettings settings;
    /** Requests served and unanswered, and what a drain decides for this connection. */
    private HttpConnectionDrain drain;
    private boolean requestStarted;
    private boolean closing;
    private RequestHandler requestHandler;
    /** Set once the connection speaks WebSocket ({@code /_ws}): it then drains and moves its own way. */
    private WebSocketEcho webSocket;
    private Timer timerKind = Timer.NONE;
    /** The deadline of {@link #timerKind}; re-armed per request without a task per request (DeadlineTimer). */
    private DeadlineTimer timer;
    /** send_timeout: armed while a response (or a chunk of one) waits for the client to take it. */
    private DeadlineTimer sendTimer;
    private int writesAwaitingClient;
    /** What send_timeout compares: writes the client took in all, and bytes still queued, at the last look. */
    private long writesTaken;
    private long writesTakenAtSendCheck;
    private long outboundAtSendCheck;

    HttpConnection(Channel channel, HttpApplication application, HttpSettings settings) {
        this.channel = channel;
        this.application = application;
        this.settings = settings;
    }

    Channel channel() {
        return channel;
    }

    HttpApplication application() {
        return application;
    }

    HttpSettings settings() {
        return settings;
    }

    void installPipeline() {
        HttpBoundaryDecoder decoder = installHandlers();
        // Headers of the first request: nginx's client_header_timeout counts from accept.
        arm(Timer.HEADER, settings.clientHeaderTimeout());
        drain = application.connections().add(channel, decoder, 0, this);
    }

    /**
     * A connection a retiring sibling moved here, idle between two requests after {@code served} of them:
     * it resumes with the keep-alive timer (its unread bytes, if any, arrive next as any read does).
     */
    void adoptPipeline(int served) {
        HttpBoundaryDecoder decoder = installHandlers();
        arm(Timer.KEEPALIVE, settings.keepaliveTimeout());
        drain = application.connections().add(channel, decoder, served, this);
    }

    /** A WebSocket a retiring sibling moved here: frames only, no HTTP timers. */
    void adoptWebSocket() {
        channel.pipeline().addLast("connection", new ConnectionEvents());
        webSocket = WebSocketEcho.adopt(channel, this);
        drain = application.connections().addSwitched(channel, this);
    }

    /** {@code /_ws} switched this connection to WebSocket: the HTTP request is done, its timers end. */
    void upgraded(WebSocketEcho echo) {
        webSocket = echo;
        drain.switchedProtocols();
        requestStarted = false;
        cancelTimer();
    }

    private HttpBoundaryDecoder installHandlers() {
        HttpBoundaryDecoder decoder = new HttpBoundaryDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(settings.clientMaxHeaderSize())
                .setMaxHeaderSize(settings.clientMaxHeaderSize()));
        requestHandler = new RequestHandler(this);
        channel.pipeline()
                .addLast("connection", new ConnectionEvents())
                // HttpServerCodec's halves, with a decoder that knows when it stands between two requests.
                .addLast("codec", new CombinedChannelDuplexHandler<>(decoder, new HttpResponseEncoder()))
                .addLast("body", new RequestBodyDiscarder(this))
                .addLast("requests", requestHandler);
        return decoder;
    }

    /**
     * Reads only while the client takes what it is sent and the requests it pipelined ahead have room to wait:
     * otherwise the kernel's buffers hold the rest, not this worker's heap. Runs on writability changes and when
     * the pipelining queue fills or empties, never per request.
     */
    void updateReading() {
        if (closing || webSocket != null) {
            return; // a lingering close reads to discard; a WebSocket manages its own reading
        }
        boolean read = channel.isWritable() && (requestHandler == null || !requestHandler.queueFull());
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }

    /** Whether this connection may accept another request after the current one. */
    boolean mayKeepAlive() {
        return drain.keepAlive() && !closing && drain.served() < settings.keepaliveRequests()
                && !settings.keepaliveTimeout().isZero();
    }

    boolean closing() {
        return closing;
    }

    /** A whole request arrived. */
    void requestArrived() {
        drain.requestReceived();
        requestStarted = false;
        cancelTimer();
    }

    /** The response to one request was written (or failed); {@code keepAlive}: the connection stays. */
    void responseDone(ChannelFuture written, boolean keepAlive) {
        drain.responseWritten();
        if (!written.isSuccess()) {
            log.debug("response not delivered to {}: {}", channel.remoteAddress(), written.cause() == null ? "" : written.cause().toString());
            channel.close();
            return;
        }
        if (!keepAlive) {
            lingeringClose();
            return;
        }
        if (drain.answered() && !closing) {
            if (requestStarted) {
                arm(Timer.HEADER, settings.clientHeaderTimeout());
            } else {
                arm(Timer.KEEPALIVE, settings.keepaliveTimeout());
            }
            // While draining: the move, or the grace in place of the keep-alive timer.
            drain.idle();
        }
    }

    @Override
    public boolean holdsNoRequest() {
        return !closing && webSocket == null && requestHandler.idle();
    }

    /** Draining without a successor: an idle connection gets the grace for a request already on its way. */
    @Override
    public void endAfterGrace() {
        if (!requestStarted && !closing) {
            arm(Timer.DRAIN_GRACE, HttpConnectionDrain.GRACE);
        }
    }

    @Override
    public void moved() {
        application.movedOne();
        cancelTimer(); // closed here without a FIN: channelInactive forgets the connection
    }

    @Override
    public void drainSwitched(boolean successorAvailable) {
        webSocket.drain(successorAvailable);
    }

    /**
     * Ends the connection without a reset: FIN first, then read and discard whatever the client still
     * sends until it closes too (or LINGERING_TIMEOUT), then close. Closing with unread input would
     * make the kernel send RST, which can destroy a response the client has not read yet.
     */
    void lingeringClose() {
        if (closing) {
            return;
        }
        closing = true;
        if (!(channel instanceof DuplexChannel duplex) || !channel.isActive()) {
            channel.close();
            return;
        }
        channel.config().setAutoRead(true);
        duplex.shutdownOutput().addListener(f -> {
            if (!f.isSuccess()) {
                channel.close();
                return;
            }
            arm(Timer.LINGERING, LINGERING_TIMEOUT);
        });
    }

    private void arm(Timer kind, Duration after) {
        timerKind = kind;
        if (timer == null) {
            timer = new DeadlineTimer(channel.eventLoop(), this::expired);
        }
        timer.arm(after.toNanos());
    }

    private void cancelTimer() {
        timerKind = Timer.NONE;
        if (timer != null) {
            timer.disarm();
        }
    }

    private void expired() {
        Timer kind = timerKind;
        timerKind = Timer.NONE;
        switch (kind) {
            case HEADER -> {
                log.info("client {} timed out reading the request header (client_header_timeout)", channel.remoteAddress());
                channel.close();
            }
            case KEEPALIVE -> channel.close();
            case DRAIN_GRACE -> lingeringClose();
            case LINGERING -> channel.close();
            default -> {
            }
        }
    }

    /** First and last in the pipeline's inbound direction: sees raw bytes and the connection's ends. */
    private final class ConnectionEvents extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (closing) {
                // Lingering: the client's input is drained and dropped, never answered.
                ReferenceCountUtil.release(msg);
                return;
            }
            boolean starts = msg instanceof ByteBuf bytes && bytes.isReadable() && !requestStarted;
            if (starts) {
                requestStarted = true;
            }
            ctx.fireChannelRead(msg);
            if (starts && requestStarted && (timerKind == Timer.KEEPALIVE || timerKind == Timer.DRAIN_GRACE)) {
                // A new request on a kept-alive connection, not whole in this read: now its header must arrive in
                // time. (Armed after the read, not before it: a request that came whole is answered by now and
                // its connection is back on the keep-alive timer, with no header timer armed and disarmed.)
                arm(Timer.HEADER, settings.clientHeaderTimeout());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            timerKind = Timer.NONE;
            if (timer != null) {
                timer.cancel();
            }
            if (sendTimer != null) {
                sendTimer.cancel();
            }
            drain.closed();
            ctx.fireChannelInactive();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            updateReading();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("connection {}: {}", channel.remoteAddress(), cause.toString());
            channel.close();
        }
    }

    /**
     * A response (or a chunk of one) was handed to the socket and the client has not taken it all yet: nginx's
     * send_timeout runs until it has, restarted whenever the client takes something. Most answers never get here:
     * the socket takes them at once.
     */
    void awaitingClient() {
        if (writesAwaitingClient++ == 0) {
            if (sendTimer == null) {
                sendTimer = new DeadlineTimer(channel.eventLoop(), this::sendTimedOut);
            }
            writesTakenAtSendCheck = writesTaken;
            outboundAtSendCheck = outboundBytes();
            sendTimer.arm(settings.sendTimeout().toNanos());
        }
    }

    /** The client took what {@link #awaitingClient} waited for. */
    void clientTookAll() {
        writesTaken++;
        if (--writesAwaitingClient == 0 && sendTimer != null) {
            sendTimer.disarm();
        }
    }

    private void sendTimedOut() {
        long outbound = outboundBytes();
        if (outbound != outboundAtSendCheck || writesTaken != writesTakenAtSendCheck) {
            // The client took something (a whole write, or part of one) since the last look: not idle.
            outboundAtSendCheck = outbound;
            writesTakenAtSendCheck = writesTaken;
            sendTimer.arm(settings.sendTimeout().toNanos());
            return;
        }
        log.info("client {} timed out taking the response (send_timeout)", channel.remoteAddress());
        channel.close();
    }

    private long outboundBytes() {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer == null ? -1 : buffer.totalPendingWriteBytes();
    }
}
