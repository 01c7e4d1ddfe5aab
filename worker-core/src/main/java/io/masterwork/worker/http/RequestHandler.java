package io.masterwork.worker.http;

import io.masterwork.api.ApplicationContext;
import io.masterwork.api.Sibling;
import io.masterwork.api.WorkerIdentity;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
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
import io.netty.handler.timeout.IdleStateEvent;

import java.nio.charset.StandardCharsets;

/**
 * Answers the built-in application's requests: {@code /_worker}, {@code /_bytes/N},
 * {@code /_siblings/requests}, {@code /_cache}, {@code POST /_cache/purge}, and the configured body for
 * every other path. Decides per response whether the connection stays open
 * (keep-alive asked for and allowed, keepalive_requests not reached, no drain under way).
 */
final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final String WORKER_PATH = "/_worker";
    static final String BYTES_PREFIX = "/_bytes/";
    static final String SIBLING_REQUESTS_PATH = "/_siblings/requests";
    static final String CACHE_PATH = "/_cache";
    static final String CACHE_PURGE_PATH = "/_cache/purge";

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

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
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
            respond(ctx, request, status, "text/plain", (status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII),
                    false);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request) && connection.mayKeepAlive();
        String path = new QueryStringDecoder(request.uri()).path();
        boolean get = request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
        if (get && path.equals(WORKER_PATH)) {
            respond(ctx, request, HttpResponseStatus.OK, "application/json",
                    workerJson(connection.application().context(), connection.application().cache(),
                            connection.application().movedAway(), connection.application().adopted())
                            .getBytes(StandardCharsets.UTF_8), keepAlive);
        } else if (get && path.equals(SIBLING_REQUESTS_PATH)) {
            answerLater(ctx, request, connection.application().siblingRequestCounts().query(), keepAlive);
        } else if (get && path.equals(CACHE_PATH)) {
            respond(ctx, request, HttpResponseStatus.OK, "text/plain",
                    (connection.application().cache().value() + "\n").getBytes(StandardCharsets.UTF_8), keepAlive);
        } else if (path.equals(CACHE_PURGE_PATH) && request.method().equals(HttpMethod.POST)) {
            answerLater(ctx, request, connection.application().cache().purgeEverywhere(), keepAlive);
        } else if (path.equals(WebSocketEcho.PATH)) {
            // WebSocketEcho (and Netty's WebSocket classes) load here, on the first /_ws, not at start-up.
            if (request.method().equals(HttpMethod.GET) && WebSocketEcho.upgrade(ctx, request, connection)) {
                logAccess(ctx, requestLine(request), 101, 0, request.headers().get(HttpHeaderNames.REFERER),
                        request.headers().get(HttpHeaderNames.USER_AGENT));
            } else {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "text/plain",
                        "a WebSocket upgrade (RFC 6455, version 13) expected\n".getBytes(StandardCharsets.US_ASCII), false);
            }
        } else if (get && path.startsWith(BYTES_PREFIX)) {
            streamBytes(ctx, request, path.substring(BYTES_PREFIX.length()), keepAlive);
        } else {
            respond(ctx, request, HttpResponseStatus.OK, "text/plain", connection.settings().body(), keepAlive);
        }
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
                            respond(ctx, held, HttpResponseStatus.INTERNAL_SERVER_ERROR, "text/plain",
                                    (failure + "\n").getBytes(StandardCharsets.UTF_8), keepAlive);
                        } else {
                            respond(ctx, held, HttpResponseStatus.OK, "application/json",
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
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "text/plain",
                    ("/_bytes/N needs 0 <= N <= " + max + " (http.max_bytes)\n").getBytes(StandardCharsets.US_ASCII),
                    keepAlive);
            return;
        }
        HttpResponse response = new DefaultHttpResponse(responseVersion(request), HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        HttpUtil.setContentLength(response, n);
        setConnection(request, response, keepAlive);
        String requestLine = requestLine(request);
        String referer = request.headers().get(HttpHeaderNames.REFERER);
        String userAgent = request.headers().get(HttpHeaderNames.USER_AGENT);
        ctx.write(response);
        ChannelFuture done;
        ByteStream body = new ByteStream(request.method().equals(HttpMethod.HEAD) ? 0 : n);
        if (request.method().equals(HttpMethod.HEAD)) {
            done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        } else {
            done = ctx.writeAndFlush(new HttpChunkedInput(body));
        }
        done.addListener((ChannelFuture f) -> {
            logAccess(ctx, requestLine, 200, f.isSuccess() ? body.length() : body.progress(), referer, userAgent);
            connection.responseDone(f, keepAlive);
        });
    }

    private void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                         String contentType, byte[] body, boolean keepAlive) {
        boolean head = request.method().equals(HttpMethod.HEAD);
        FullHttpResponse response = new DefaultFullHttpResponse(responseVersion(request), status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setContentLength(response, body.length);
        setConnection(request, response, keepAlive);
        String requestLine = requestLine(request);
        String referer = request.headers().get(HttpHeaderNames.REFERER);
        String userAgent = request.headers().get(HttpHeaderNames.USER_AGENT);
        long sent = head ? 0 : body.length;
        ctx.writeAndFlush(response).addListener((ChannelFuture f) -> {
            logAccess(ctx, requestLine, status.code(), f.isSuccess() ? sent : 0, referer, userAgent);
            connection.responseDone(f, keepAlive);
        });
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

    private static String requestLine(FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            return "-";
        }
        return request.method().name() + " " + request.uri() + " " + request.protocolVersion().text();
    }

    private void logAccess(ChannelHandlerContext ctx, String requestLine, int status, long bytes, String referer,
                           String userAgent) {
        AccessLog accessLog = connection.application().accessLog();
        if (accessLog != null) {
            accessLog.write(ctx.channel().remoteAddress(), requestLine, status, bytes, referer, userAgent);
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

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent idle) {
            connection.writerIdle(idle);
            return;
        }
        ctx.fireUserEventTriggered(event);
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
