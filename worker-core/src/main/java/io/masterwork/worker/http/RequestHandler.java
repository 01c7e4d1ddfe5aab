package io.masterwork.worker.http;

import io.masterwork.api.ApplicationContext;
import io.masterwork.api.Sibling;
import io.masterwork.api.WorkerIdentity;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpLineException;

import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;

/**
 * Answers the built-in application's requests: {@code /_worker}, {@code /_bytes/N},
 * {@code /_siblings/requests}, {@code /_cache}, {@code POST /_cache/purge}, and the configured body for
 * every other path. Decides per response whether the connection stays open
 * (keep-alive asked for and allowed, keepalive_requests not reached, no drain under way).
 */
final class RequestHandler extends ChannelInboundHandlerAdapter {
    static final String WORKER_PATH = "/_worker";
    static final String BYTES_PREFIX = "/_bytes/";
    static final String SIBLING_REQUESTS_PATH = "/_siblings/requests";
    static final String CACHE_PATH = "/_cache";
    static final String CACHE_PURGE_PATH = "/_cache/purge";

    /** Headers of our own making: valid by construction, so not validated one by one as Netty's default does. */
    private static final HttpHeadersFactory TRUSTED_HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final HttpConnection connection;
    /**
     * Requests pipelined behind an answer that waits for the siblings hold no body (RequestBodyDiscarder); once this
     * many wait, the connection stops reading until they are answered (one read more may still decode a few).
     */
    static final int PIPELINED_LIMIT = 16;

    /** Requests that arrived (pipelined) while an answer waits for the siblings: answered after it, in order. */
    private final java.util.ArrayDeque<FullHttpRequest> waiting = new java.util.ArrayDeque<>();
    private boolean answerPending;

    RequestHandler(HttpConnection connection) {
        this.connection = connection;
    }

    /**
     * Not a {@code SimpleChannelInboundHandler}: its type matcher is a reflective {@code Class.isInstance} per message,
     * which C1-compiled workers pay on every request. Requests come from {@link RequestBodyDiscarder}, always a
     * {@code DefaultFullHttpRequest}.
     */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg.getClass() != DefaultFullHttpRequest.class && !(msg instanceof FullHttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        FullHttpRequest request = (FullHttpRequest) msg;
        try {
            channelRead0(ctx, request);
        } finally {
            request.release();
        }
    }

    private void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (answerPending) {
            waiting.add(request.retain());
            if (waiting.size() == PIPELINED_LIMIT) {
                connection.updateReading();
            }
            return;
        }
        handle(ctx, request);
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (connection.closing()) {
            // A pipelined request behind a response that closes the connection: never answered.
            return;
        }
        connection.requestArrived();
        connection.application().requestReceived();
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            HttpResponseStatus status = decoded.cause() instanceof TooLongHttpLineException
                    ? HttpResponseStatus.REQUEST_URI_TOO_LONG : HttpResponseStatus.BAD_REQUEST;
            respond(ctx, request, status, HttpHeaderValues.TEXT_PLAIN, (status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII),
                    false);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request) && connection.mayKeepAlive();
        String path = path(request.uri());
        if (!path.startsWith("/_")) {
            // Every other path: the configured body (the request path a load test measures; no lookup beyond this).
            respond(ctx, request, HttpResponseStatus.OK, HttpHeaderValues.TEXT_PLAIN, connection.settings().body(), keepAlive);
            return;
        }
        boolean get = request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
        if (get && path.equals(WORKER_PATH)) {
            respond(ctx, request, HttpResponseStatus.OK, HttpHeaderValues.APPLICATION_JSON,
                    workerJson(connection.application().context(), connection.application().cache(),
                            connection.application().movedAway(), connection.application().adopted())
                            .getBytes(StandardCharsets.UTF_8), keepAlive);
        } else if (get && path.equals(SIBLING_REQUESTS_PATH)) {
            answerLater(ctx, request, connection.application().siblingRequestCounts().query(), keepAlive);
        } else if (get && path.equals(CACHE_PATH)) {
            respond(ctx, request, HttpResponseStatus.OK, HttpHeaderValues.TEXT_PLAIN,
                    (connection.application().cache().value() + "\n").getBytes(StandardCharsets.UTF_8), keepAlive);
        } else if (path.equals(CACHE_PURGE_PATH) && request.method().equals(HttpMethod.POST)) {
            answerLater(ctx, request, connection.application().cache().purgeEverywhere(), keepAlive);
        } else if (path.equals(WebSocketEcho.PATH)) {
            // WebSocketEcho (and Netty's WebSocket classes) load here, on the first /_ws, not at start-up.
            AccessEntry entry = AccessEntry.of(connection.application().accessLog(), ctx, request);
            if (request.method().equals(HttpMethod.GET) && WebSocketEcho.upgrade(ctx, request, connection)) {
                if (entry != null) {
                    entry.write(101, 0);
                }
            } else {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, HttpHeaderValues.TEXT_PLAIN,
                        "a WebSocket upgrade (RFC 6455, version 13) expected\n".getBytes(StandardCharsets.US_ASCII), false);
            }
        } else if (get && path.startsWith(BYTES_PREFIX)) {
            streamBytes(ctx, request, path.substring(BYTES_PREFIX.length()), keepAlive);
        } else {
            respond(ctx, request, HttpResponseStatus.OK, HttpHeaderValues.TEXT_PLAIN, connection.settings().body(), keepAlive);
        }
    }

    /**
     * The path of a request target: up to '?', percent-decoded (Netty's QueryStringDecoder) only when it holds a
     * '%': most targets need no decoding and no allocation beyond the substring.
     */
    static String path(String uri) {
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        return path.indexOf('%') < 0 ? path : new QueryStringDecoder(uri).path();
    }

    /**
     * Answers with {@code json} once it completes (the siblings answered, or a bound passed); requests
     * pipelined behind it wait their turn.
     */
    private void answerLater(ChannelHandlerContext ctx, FullHttpRequest request, java.util.concurrent.CompletionStage<String> json,
                             boolean keepAlive) {
        answerPending = true;
        FullHttpRequest held = request.retain();
        json.whenComplete((body, failure) ->
                ctx.executor().execute(() -> {
                    try {
                        if (failure != null) {
                            respond(ctx, held, HttpResponseStatus.INTERNAL_SERVER_ERROR, HttpHeaderValues.TEXT_PLAIN,
                                    (failure + "\n").getBytes(StandardCharsets.UTF_8), keepAlive);
                        } else {
                            respond(ctx, held, HttpResponseStatus.OK, HttpHeaderValues.APPLICATION_JSON,
                                    body.getBytes(StandardCharsets.UTF_8), keepAlive);
                        }
                    } finally {
                        held.release();
                    }
                    answerPending = false;
                    boolean wasFull = queueFull();
                    FullHttpRequest next;
                    while (!answerPending && (next = waiting.poll()) != null) {
                        try {
                            handle(ctx, next);
                        } finally {
                            next.release();
                        }
                    }
                    if (wasFull && !queueFull()) {
                        connection.updateReading();
                    }
                }));
    }

    boolean queueFull() {
        return waiting.size() >= PIPELINED_LIMIT;
    }

    /** No answer waits for siblings and no pipelined request waits behind one. */
    boolean idle() {
        return !answerPending && waiting.isEmpty();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        FullHttpRequest next;
        while ((next = waiting.poll()) != null) {
            next.release();
        }
        super.channelInactive(ctx);
    }

    private void streamBytes(ChannelHandlerContext ctx, FullHttpRequest request, String count, boolean keepAlive) {
        long n;
        try {
            n = Long.parseLong(count);
        } catch (NumberFormatException e) {
            n = -1;
        }
        long max = connection.settings().maxBytes();
        if (n < 0 || n > max) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, HttpHeaderValues.TEXT_PLAIN,
                    ("/_bytes/N needs 0 <= N <= " + max + " (http.max_bytes)\n").getBytes(StandardCharsets.US_ASCII),
                    keepAlive);
            return;
        }
        HttpResponse response = new DefaultHttpResponse(responseVersion(request), HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        HttpUtil.setContentLength(response, n);
        setConnection(request, response, keepAlive);
        AccessEntry entry = AccessEntry.of(connection.application().accessLog(), ctx, request);
        ctx.write(response);
        ByteStream body = new ByteStream(request.method().equals(HttpMethod.HEAD) ? 0 : n);
        new ByteStreamWriter(ctx, body, f -> {
            if (entry != null) {
                entry.write(200, f.isSuccess() ? body.length() : body.progress());
            }
            connection.responseDone(f, keepAlive);
        }).writeNext();
    }

    /**
     * Writes a {@link ByteStream} one chunk at a time, the next only once the socket took the last, and from a task
     * of its own: a client that reads as fast as the worker writes still lets every other connection, the master's
     * heartbeat and a TERMINATE in between two chunks (a writer that loops while the socket is writable would hold the
     * event loop for the whole body). send_timeout watches each chunk.
     */
    /** How much of a download goes out per turn of the event loop while the socket takes it all at once. */
    private static final int BURST_BYTES = 256 * 1024;

    private final class ByteStreamWriter {
        private final ChannelHandlerContext ctx;
        private final ByteStream body;
        private final java.util.function.Consumer<ChannelFuture> done;

        ByteStreamWriter(ChannelHandlerContext ctx, ByteStream body, java.util.function.Consumer<ChannelFuture> done) {
            this.ctx = ctx;
            this.body = body;
            this.done = done;
        }

        void writeNext() {
            for (int budget = BURST_BYTES; ; ) {
                if (!ctx.channel().isActive()) {
                    done.accept(ctx.newFailedFuture(new java.nio.channels.ClosedChannelException()));
                    return;
                }
                io.netty.buffer.ByteBuf chunk = body.readChunk(ctx.alloc());
                boolean last = body.isEndOfInput();
                budget -= chunk == null ? 0 : chunk.readableBytes();
                ChannelFuture written = ctx.writeAndFlush(last
                        ? (chunk == null ? LastHttpContent.EMPTY_LAST_CONTENT : new io.netty.handler.codec.http.DefaultLastHttpContent(chunk))
                        : new io.netty.handler.codec.http.DefaultHttpContent(chunk));
                if (!written.isDone()) {
                    // The socket is full: the client sets the pace from here, and send_timeout watches it.
                    connection.awaitingClient();
                    written.addListener((ChannelFuture f) -> {
                        connection.clientTookAll();
                        if (!f.isSuccess() || last) {
                            done.accept(f);
                        } else {
                            resumeAfterIo();
                        }
                    });
                    return;
                }
                if (!written.isSuccess() || last) {
                    done.accept(written);
                    return;
                }
                if (budget <= 0) {
                    resumeAfterIo();
                    return;
                }
            }
        }

        /**
         * The next burst after the loop has polled its sockets once. Not {@code execute}: Netty runs the tasks queued
         * while it runs tasks in the same turn, for up to a second (its task quantum), so a download that re-queued
         * itself after each chunk held every other connection of the worker, and its master's channel, that long. A
         * task scheduled now is taken only at the start of the next turn, after the I/O.
         */
        private void resumeAfterIo() {
            ctx.executor().schedule(this::writeNext, 0, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    private void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                         CharSequence contentType, byte[] body, boolean keepAlive) {
        boolean head = request.method().equals(HttpMethod.HEAD);
        // Our own header names and values, valid by construction: no per-header validation (Netty's default).
        FullHttpResponse response = new DefaultFullHttpResponse(responseVersion(request), status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body), TRUSTED_HEADERS, TRUSTED_HEADERS);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CONTENT_LENGTH, body == connection.settings().body()
                        ? connection.application().bodyLength() : AsciiString.of(Integer.toString(body.length)));
        setConnection(request, response, keepAlive);
        AccessEntry entry = AccessEntry.of(connection.application().accessLog(), ctx, request);
        long sent = head ? 0 : body.length;
        ChannelFuture written = ctx.writeAndFlush(response);
        if (written.isDone()) {
            // The usual case: the socket took the whole answer at once; no listener to allocate and call.
            responseWritten(written, entry, status.code(), sent, keepAlive);
        } else {
            connection.awaitingClient();
            written.addListener((ChannelFuture f) -> {
                connection.clientTookAll();
                responseWritten(f, entry, status.code(), sent, keepAlive);
            });
        }
    }

    private void responseWritten(ChannelFuture written, AccessEntry entry, int status, long sent, boolean keepAlive) {
        if (entry != null) {
            entry.write(status, written.isSuccess() ? sent : 0);
        }
        connection.responseDone(written, keepAlive);
    }

    private static HttpVersion responseVersion(FullHttpRequest request) {
        // A request that did not parse has no trustworthy version: answer as nginx does, in HTTP/1.1.
        return request.protocolVersion().equals(HttpVersion.HTTP_1_0) && request.decoderResult().isSuccess()
                ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    }

    /** HTTP/1.1 keeps alive unless told; HTTP/1.0 closes unless told. Say it whenever it differs. */
    private static void setConnection(FullHttpRequest request, HttpResponse response, boolean keepAlive) {
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /**
     * What the access log needs of a request, taken before the response is written (the request is released
     * after it): nothing at all when the access log is off.
     */
    private record AccessEntry(AccessLog log, java.net.SocketAddress remote, String requestLine, String referer,
                               String userAgent) {
        static AccessEntry of(AccessLog log, ChannelHandlerContext ctx, FullHttpRequest request) {
            if (log == null) {
                return null;
            }
            return new AccessEntry(log, ctx.channel().remoteAddress(), requestLine(request),
                    request.headers().get(HttpHeaderNames.REFERER), request.headers().get(HttpHeaderNames.USER_AGENT));
        }

        void write(int status, long bytes) {
            log.write(remote, requestLine, status, bytes, referer, userAgent);
        }

        private static String requestLine(FullHttpRequest request) {
            if (request.decoderResult().isFailure()) {
                return "-";
            }
            return request.method().name() + " " + request.uri() + " " + request.protocolVersion().text();
        }
    }

    static String workerJson(ApplicationContext context, PurgeableValue cache) {
        WorkerIdentity id = context.identity();
        StringBuilder json = new StringBuilder(96);
        json.append("{\"pid\":").append(id.pid())
                .append(",\"slot\":").append(id.slot())
                .append(",\"generation\":").append(id.generation())
                .append(",\"siblings\":[");
        boolean first = true;
        for (Sibling sibling : context.siblings()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            json.append("{\"slot\":").append(sibling.slot()).append(",\"pid\":").append(sibling.pid()).append('}');
        }
        return json.append("],\"cache\":").append(cache.json()).append('}').toString();
    }

    /** {@link #workerJson} with this worker's live handover counts. */
    static String workerJson(ApplicationContext context, PurgeableValue cache, long moved, long adopted) {
        String json = workerJson(context, cache);
        return json.substring(0, json.length() - 1) + ",\"handover\":{\"moved\":" + moved + ",\"adopted\":" + adopted + "}}";
    }

    /** A reset by the client, a codec limit, a bug: this connection ends, the worker goes on. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof TooLongFrameException) && !(cause instanceof java.io.IOException)) {
            org.slf4j.LoggerFactory.getLogger(RequestHandler.class)
                    .error("connection {}: {}", ctx.channel().remoteAddress(), cause.toString(), cause);
        }
        ctx.close();
    }
}
