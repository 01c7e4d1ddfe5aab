package io.masterwork.worker.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Where Netty's HttpObjectAggregator stood: the built-in application reads no request body, so each body is
 * released chunk by chunk as it arrives instead of being gathered (up to 1 MiB per connection: 1,024 connections
 * made ~1 GiB against a 256 MiB heap). Downstream still sees one {@link FullHttpRequest} per request, empty, at
 * the request's end, as the aggregator passed it; the headers object is the decoder's own (one allocation per
 * request, as the aggregator made). A body announced or streamed beyond {@link HttpConnection#MAX_BODY} is
 * answered 413 and the connection ends, as nginx's client_max_body_size and the aggregator did.
 */
final class RequestBodyDiscarder extends ChannelInboundHandlerAdapter {
    private final HttpConnection connection;
    private FullHttpRequest pending;
    private long bodyBytes;
    private boolean tooLarge;

    RequestBodyDiscarder(HttpConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg == LastHttpContent.EMPTY_LAST_CONTENT) {
            // The end of a request without a body, the usual case: the decoder's shared instance, found by identity
            // (an interface type check on the event loop's hottest path costs a scan of the class's interfaces).
            complete(ctx);
            return;
        }
        if (msg.getClass() == DefaultHttpRequest.class || msg instanceof HttpRequest) {
            HttpRequest head = (HttpRequest) msg;
            // A request is an HttpRequest (a FullHttpRequest only from an adopted connection's decoder, never here).
            tooLarge = false;
            bodyBytes = 0;
            FullHttpRequest request = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                    Unpooled.EMPTY_BUFFER, head.headers(), LastHttpContent.EMPTY_LAST_CONTENT.trailingHeaders());
            request.setDecoderResult(head.decoderResult());
            ReferenceCountUtil.release(msg);
            if (head.decoderResult().isFailure()) {
                // The decoder gives up on a malformed head: nothing more of this request will come.
                ctx.fireChannelRead(request);
                return;
            }
            if (HttpUtil.getContentLength(head, -1L) > HttpConnection.MAX_BODY) {
                refuseTooLarge(ctx);
                return;
            }
            if (head.headers().contains(HttpHeaderNames.EXPECT) && HttpUtil.is100ContinueExpected(head)) {
                request.headers().remove(HttpHeaderNames.EXPECT);
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                        Unpooled.EMPTY_BUFFER));
            }
            pending = request;
            if (msg instanceof LastHttpContent) {
                complete(ctx);
            }
            return;
        }
        if (msg instanceof HttpContent content) {
            bodyBytes += content.content().readableBytes();
            boolean last = content instanceof LastHttpContent;
            content.release();
            if (tooLarge) {
                return;
            }
            if (bodyBytes > HttpConnection.MAX_BODY && pending != null) {
                pending = null;
                refuseTooLarge(ctx);
                return;
            }
            if (last) {
                complete(ctx);
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private void complete(ChannelHandlerContext ctx) {
        FullHttpRequest request = pending;
        pending = null;
        if (request != null) {
            ctx.fireChannelRead(request);
        }
    }

    private void refuseTooLarge(ChannelHandlerContext ctx) {
        tooLarge = true;
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.EMPTY_BUFFER);
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(f -> connection.lingeringClose());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        pending = null;
        super.channelInactive(ctx);
    }
}
