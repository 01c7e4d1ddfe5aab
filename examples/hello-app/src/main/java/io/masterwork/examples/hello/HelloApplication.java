package io.masterwork.examples.hello;

import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import io.masterwork.api.http.HttpHandover;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A downstream application: answers every request with {@code app.greeting} and the pid of the worker that
 * answered, over HTTP/1.1 keep-alive. {@link HttpHandover} gives it zero-loss reloads: on a reload each open
 * connection moves to the new generation between two requests.
 */
public final class HelloApplication implements WorkerApplication {
    private HttpHandover http;

    @Override
    public CompletionStage<Void> start(ApplicationContext context) {
        byte[] greeting = (context.settings("app").getString("greeting") + " from worker "
                + context.identity().pid() + "\n").getBytes(StandardCharsets.UTF_8);
        http = new HttpHandover(context, pipeline -> pipeline.addLast(new HttpObjectAggregator(65536),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                HttpResponseStatus.OK, Unpooled.wrappedBuffer(greeting));
                        HttpUtil.setContentLength(response, greeting.length);
                        HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request)); // HttpHandover closes if not
                        ctx.writeAndFlush(response);
                    }
                }));
        context.listeners().forEach(listener -> listener.serve(http.initializer()));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> drain() {
        return http.drain();
    }

    @Override
    public void closeAll() {
        http.closeAll();
    }
}
