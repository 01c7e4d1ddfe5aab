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

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One connection of an {@link HttpHandover}, right behind the codec: counts the requests that arrived and the
 * responses written in full, and on a drain moves the connection or ends it at its next clean boundary. On
 * the request path it only counts: no task, no listener, no allocation; the drain's work happens only while
 * draining.
 */
final class HandoverConnection extends ChannelDuplexHandler {
    /** After a drain starts, an idle connection without a successor gets this long for a request on its way. */
    static final Duration DRAIN_GRACE = Duration.ofMillis(200);

    private final HttpHandover owner;
    private final HttpBoundaryDecoder decoder;
    private ChannelHandlerContext ctx;
    /** Requests received over the connection's whole life, here and in the workers it moved from. */
    private int served;
    /** Requests received whose final response has not been written in full. */
    private int unanswered;
    private boolean closeAfterResponse;
    private boolean draining;
    /** Draining with successors: at the next clean boundary this connection moves instead of closing. */
    private boolean moving;
    private boolean closing;
    /** Answered 101: no longer HTTP, the application's to end. */
    private boolean upgraded;
    private HttpConnectionMove move;
    private ScheduledFuture<?> grace;

    HandoverConnection(HttpHandover owner, HttpBoundaryDecoder decoder, int served) {
        this.owner = owner;
        this.decoder = decoder;
        this.served = served;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            served++;
            unanswered++;
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
            } else if (!interim) {
                if (draining && !moving) {
                    // Draining without a successor: this answer is the connection's last.
                    HttpUtil.setKeepAlive(response, false);
                }
                closeAfterResponse = !HttpUtil.isKeepAlive(response);
            }
        }
        if (!interim && msg instanceof LastHttpContent && !upgraded) {
            if (unanswered > 0) {
                unanswered--;
            }
            if (closeAfterResponse) {
                closing = true;
                ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (draining) {
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
        } else if (unanswered == 0 && !closing) {
            idleWhileDraining();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (grace != null) {
            grace.cancel(false);
        }
        owner.closed(this);
        ctx.fireChannelInactive();
    }

    /** The drain began (or the connection arrived while it runs). */
    void drain() {
        if (draining) {
            return;
        }
        draining = true;
        if (upgraded || closing) {
            return;
        }
        moving = owner.handoverAvailable();
        if (unanswered == 0) {
            idleWhileDraining();
        }
    }

    void close() {
        ctx.close();
    }

    private void idleWhileDraining() {
        if (moving) {
            // From a task of its own: a write listener may run while the decoder is still inside a read.
            ctx.executor().execute(this::tryMove);
        } else if (grace == null) {
            grace = ctx.executor().schedule(this::graceOver, DRAIN_GRACE.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void graceOver() {
        grace = null;
        // A request half arrived (even only its first bytes) is answered, with Connection: close, and ends the
        // connection then.
        if (unanswered == 0 && decoder.idle() && !closing) {
            closing = true;
            ctx.close();
        }
    }

    private void tryMove() {
        if (!moving || closing || unanswered > 0 || !ctx.channel().isActive()) {
            return;
        }
        if (move == null) {
            move = new HttpConnectionMove(ctx.channel(), decoder, owner.context().handover(), this::tryMove);
        }
        if (move.attempt(served) == HttpConnectionMove.Outcome.STAYS) {
            moving = false;
            idleWhileDraining();
        }
        // MOVED: closed here without a FIN, channelInactive forgets it; MID_REQUEST: its response's end tries
        // again; RETRYING: the retry task does.
    }
}
