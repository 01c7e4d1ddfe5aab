package io.masterwork.worker.http;

import io.masterwork.api.MovedConnection;
import io.masterwork.api.http.HttpConnectionMove;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /_ws}: a WebSocket (RFC 6455) that echoes every data frame, and that moves to a successor
 * worker at a frame boundary when this worker retires (live handover): no close frame, no reconnect.
 * A connection that negotiated permessage-deflate keeps a compression context in this JVM that does not
 * travel, so it ends with a close frame (1001, going away) instead.
 *
 * <p>A client cannot make this worker hold more than about one read of its frames: while the echo cannot be
 * written (the client does not read), nothing more is read from it; a compressed frame may inflate to
 * {@link #MAX_FRAME} at most (close 1009 beyond); {@code websocket_read_timeout} ends an idle WebSocket (close
 * 1000), {@code websocket_send_timeout} one whose client takes nothing while echoes wait (nginx's
 * proxy_read_timeout and proxy_send_timeout).
 *
 * <p>Only loaded when a client asks for {@code /_ws}: a worker that never sees a WebSocket never loads
 * Netty's WebSocket classes (worker start-up time is class loading).
 */
final class WebSocketEcho extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(WebSocketEcho.class);
    static final String PATH = "/_ws";
    static final String PROTOCOL = "websocket";
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** The largest frame payload, and the largest a compressed frame may inflate to (beyond: close 1009). */
    static final int MAX_FRAME = 65536;

    private final HttpConnection connection;
    private final FrameBoundaryDecoder decoder = new FrameBoundaryDecoder();
    private final boolean compressed;
    private boolean fragmented;
    private int writing;
    private boolean moving;
    private int moveAttempts;
    private boolean closing;
    private ScheduledFuture<?> closeTimer;

    private WebSocketEcho(HttpConnection connection, boolean compressed) {
        this.connection = connection;
        this.compressed = compressed;
    }

    /**
     * Answers a {@code /_ws} request: 101 and the switch to WebSocket frames, or 400 when it is no valid
     * WebSocket upgrade. Called from the HTTP request handler; returns whether it upgraded.
     */
    static boolean upgrade(ChannelHandlerContext ctx, FullHttpRequest request, HttpConnection connection) {
        String key = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null || !request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                || !request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                || !"13".equals(request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
            return false;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        response.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, accept(key));
        WebSocketServerExtension deflate = null;
        String offered = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS);
        if (offered != null && offered.toLowerCase().contains("permessage-deflate")) {
            // maxAllocation: a 64 KiB frame of zeros would otherwise inflate to ~64 MiB on this heap.
            deflate = new PerMessageDeflateServerExtensionHandshaker(MAX_FRAME)
                    .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of()));
        }
        if (deflate != null) {
            WebSocketExtensionData data = deflate.newReponseData();
            StringBuilder header = new StringBuilder(data.name());
            data.parameters().forEach((k, v) -> header.append("; ").append(k).append(v == null ? "" : "=" + v));
            response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, header.toString());
        }
        WebSocketEcho echo = new WebSocketEcho(connection, deflate != null);
        ChannelPipeline p = ctx.pipeline();
        // Frames are decoded ahead of the HTTP handlers from now on (they pass through them untouched until
        // those are removed once the 101 is written); frames written pass the HTTP encoder untouched too.
        p.addBefore("codec", "ws-encoder", new WebSocket13FrameEncoder(false));
        p.addBefore("codec", "ws-decoder", echo.decoder);
        if (deflate != null) {
            p.addBefore("codec", "ws-deflate-encoder", deflate.newExtensionEncoder());
            p.addBefore("codec", "ws-deflate-decoder", deflate.newExtensionDecoder());
        }
        p.addBefore("codec", "ws-timeouts", timeouts(connection.settings()));
        p.addLast("ws-echo", echo);
        connection.upgraded(echo);
        ctx.writeAndFlush(response).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                f.channel().close();
                return;
            }
            for (String http : List.of("codec", "body", "send-timeout", "chunked", "requests")) {
                if (p.get(http) != null) {
                    p.remove(http);
                }
            }
        });
        return true;
    }

    /** A WebSocket a retiring sibling moved here: frames from the first byte, no HTTP handlers at all. */
    static WebSocketEcho adopt(Channel channel, HttpConnection connection) {
        WebSocketEcho echo = new WebSocketEcho(connection, false);
        channel.pipeline().addLast("ws-encoder", new WebSocket13FrameEncoder(false))
                .addLast("ws-decoder", echo.decoder)
                .addLast("ws-timeouts", timeouts(connection.settings()))
                .addLast("ws-echo", echo);
        return echo;
    }

    /** Reader idle: no frame for websocket_read_timeout; writer idle: no echo byte taken for websocket_send_timeout. */
    private static IdleStateHandler timeouts(HttpSettings settings) {
        return new IdleStateHandler(true, settings.websocketReadTimeout().toMillis(),
                settings.websocketSendTimeout().toMillis(), 0, TimeUnit.MILLISECONDS);
    }

    private static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JVM", e);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (frame instanceof CloseWebSocketFrame close) {
            // The client's close, or its answer to ours: answer (once) and end.
            if (!closing) {
                closing = true;
                ctx.writeAndFlush(close.retainedDuplicate()).addListener(f -> ctx.channel().close());
            } else {
                ctx.channel().close();
            }
            close.release();
            return;
        }
        if (frame instanceof PingWebSocketFrame ping) {
            write(ctx, new PongWebSocketFrame(ping.content()));
            return;
        }
        if (frame instanceof PongWebSocketFrame) {
            frame.release();
            return;
        }
        if (closing) {
            frame.release();
            return;
        }
        // A message in fragments must not move halfway: the new owner's decoder would refuse its continuation.
        // (a first fragment opens a message, its final continuation closes it)
        fragmented = !frame.isFinalFragment();
        write(ctx, frame); // the echo: the same frame, ownership passes to the write
    }

    private void write(ChannelHandlerContext ctx, WebSocketFrame frame) {
        writing++;
        ctx.writeAndFlush(frame).addListener((ChannelFuture f) -> {
            writing--;
            if (!f.isSuccess()) {
                f.channel().close();
            } else if (moving && writing == 0) {
                moveSoon();
            }
        });
    }

    /** Backpressure: while the echoes cannot be written, the client's frames wait in the kernel, not on this heap. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        if (channel.isActive() && channel.config().isAutoRead() != channel.isWritable()) {
            channel.config().setAutoRead(channel.isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE && !closing) {
                log.debug("WebSocket {} idle for websocket_read_timeout: closing", ctx.channel().remoteAddress());
                goAway(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE, "idle"));
            } else if (idle.state() == IdleState.WRITER_IDLE && writing > 0) {
                log.info("WebSocket client {} timed out taking frames (websocket_send_timeout)", ctx.channel().remoteAddress());
                ctx.channel().close();
            }
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    /**
     * A frame too large, or a compressed one that inflates beyond {@link #MAX_FRAME}: close 1009 (RFC 6455's "message
     * too big"). Anything else (a reset, a protocol violation the decoder already answered) ends the connection.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        boolean tooBig = cause instanceof DecompressionException
                || cause instanceof CorruptedWebSocketFrameException corrupted
                && corrupted.closeStatus() != null && corrupted.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
        if (tooBig && !closing && ctx.channel().isActive()) {
            log.info("WebSocket {}: {}; closed with 1009", ctx.channel().remoteAddress(), cause.getMessage());
            closing = true;
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.MESSAGE_TOO_BIG))
                    .addListener(f -> ctx.channel().close());
            return;
        }
        log.debug("WebSocket {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.channel().close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (closeTimer != null) {
            closeTimer.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    /** This worker retires: move at the next frame boundary, or (compression, no successor) close with 1001. */
    void drain(boolean handoverAvailable) {
        if (closing) {
            return;
        }
        if (handoverAvailable && !compressed) {
            moving = true;
            moveSoon();
        } else {
            goAway(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE));
        }
    }

    private void moveSoon() {
        Channel channel = connection.channel();
        channel.eventLoop().execute(this::tryMove);
    }

    private void tryMove() {
        Channel channel = connection.channel();
        if (!moving || closing || !channel.isActive() || writing > 0 || fragmented || !decoder.betweenFrames()) {
            return;
        }
        MovedConnection state = new MovedConnection(PROTOCOL, decoder.unread(), new byte[0]);
        if (connection.application().moveAway(channel, state)) {
            decoder.moved();
            return;
        }
        if (++moveAttempts < HttpConnectionMove.ATTEMPTS && connection.application().handoverAvailable()) {
            channel.eventLoop().schedule(this::tryMove, HttpConnectionMove.RETRY.toNanos(), TimeUnit.NANOSECONDS);
            return;
        }
        moving = false;
        goAway(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE));
    }

    /** The graceful end of a WebSocket: a close frame (1001; 1000 when idle), the client's answer, then the TCP close. */
    private void goAway(CloseWebSocketFrame close) {
        Channel channel = connection.channel();
        if (closing || !channel.isActive()) {
            close.release();
            return;
        }
        closing = true;
        channel.writeAndFlush(close);
        closeTimer = channel.eventLoop().schedule(() -> {
            channel.close();
        }, HttpConnection.LINGERING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Netty's frame decoder, knowing whether it stands between two frames (it consumes a frame's head as it goes). */
    private static final class FrameBoundaryDecoder extends WebSocket13FrameDecoder {
        private boolean midFrame;
        private boolean movedAway;

        FrameBoundaryDecoder() {
            super(WebSocketDecoderConfig.newBuilder().expectMaskedFrames(true).allowExtensions(true)
                    .maxFramePayloadLength(MAX_FRAME).build());
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            if (movedAway) {
                return; // the bytes held are the new owner's
            }
            int emitted = out.size();
            int from = in.readerIndex();
            super.decode(ctx, in, out);
            if (out.size() > emitted) {
                midFrame = false;
            } else if (in.readerIndex() > from) {
                midFrame = true;
            }
        }

        boolean betweenFrames() {
            return !midFrame;
        }

        byte[] unread() {
            ByteBuf held = internalBuffer();
            byte[] bytes = new byte[held.readableBytes()];
            held.getBytes(held.readerIndex(), bytes);
            return bytes;
        }

        void moved() {
            movedAway = true;
        }
    }
}
