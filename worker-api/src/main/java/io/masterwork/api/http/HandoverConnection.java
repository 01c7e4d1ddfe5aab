package io.masterwork.api.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One connection of an {@link HttpHandover}, right behind the codec: reports the requests that arrived and the
 * responses written in full to the connection's {@link HttpConnectionDrain}, says {@code Connection: close} when
 * the drain wants the answer to be the last, and closes the connection after an answer that does not keep it
 * alive. On the request path it only counts: no task, no listener, no allocation; the drain's work happens
 * only while draining.
 */
final class HandoverConnection extends ChannelDuplexHandler implements HttpConnectionDrain.Owner {
    private final HttpBoundaryDecoder decoder;
    private ChannelHandlerContext ctx;
    private HttpConnectionDrain drain;
    private boolean closeAfterResponse;
    private boolean closing;
    /** Answered 101: no longer HTTP, the application's to end. */
    private boolean upgraded;
    private ScheduledFuture<?> grace;

    HandoverConnection(HttpBoundaryDecoder decoder) {
        this.decoder = decoder;
    }

    /** Set once, right after the connection's handlers are in place. */
    void drain(HttpConnectionDrain drain) {
        this.drain = drain;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            drain.requestReceived();
            if (grace != null) {
                grace.cancel(false);
                grace = null;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean interim = false;
        if (msg instanceof HttpResponse response) {
            HttpResponseStatus status = response.status();
            interim = status.codeClass() == HttpStatusClass.INFORMATIONAL;
            if (status.code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
                upgraded = true;
                drain.switchedProtocols();
            } else if (!interim) {
                if (!drain.keepAlive()) {
                    HttpUtil.setKeepAlive(response, false);
                }
                closeAfterResponse = !HttpUtil.isKeepAlive(response);
            }
        }
        if (!interim && msg instanceof LastHttpContent && !upgraded) {
            drain.responseWritten();
            if (closeAfterResponse) {
                closing = true;
                ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (drain.draining()) {
                ctx.write(msg, promise.unvoid()).addListener((ChannelFutureListener) this::responseWritten);
                return;
            }
        }
        ctx.write(msg, promise);
    }

    /** While draining: a response was written in full. */
    private void responseWritten(ChannelFuture written) {
        if (!written.isSuccess()) {
            ctx.close();
        } else if (!closing) {
            drain.idle();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (grace != null) {
            grace.cancel(false);
        }
        drain.closed();
        ctx.fireChannelInactive();
    }

    @Override
    public boolean holdsNoRequest() {
        return !closing;
    }

    @Override
    public void endAfterGrace() {
        if (grace == null && !closing) {
            grace = ctx.executor().schedule(this::graceOver, HttpConnectionDrain.GRACE.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void moved() {
        // Closed here without a FIN: channelInactive forgets it.
    }

    private void graceOver() {
        grace = null;
        // A request half arrived (even only its first bytes) is answered, with Connection: close, and ends the
        // connection then.
        if (drain.answered() && decoder.idle() && !closing) {
            closing = true;
            ctx.close();
        }
    }
}
