package io.masterwork.examples.hello;

import io.masterwork.api.ApplicationContext;
import io.masterwork.api.Connections;
import io.masterwork.api.WorkerApplication;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A downstream application: answers every request with {@code app.greeting} and the pid of the
 * worker that answered, one request per connection (so a drain is just waiting for them to close).
 */
public final class HelloApplication implements WorkerApplication {
    private final Connections connections = new Connections();

    @Override
    public CompletionStage<Void> start(ApplicationContext context) {
        byte[] greeting = (context.settings("app").getString("greeting") + " from worker "
                + context.identity().pid() + "\n").getBytes(StandardCharsets.UTF_8);
        context.listeners().forEach(listener -> listener.serve(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                connections.track(channel);
                channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.OK, Unpooled.wrappedBuffer(greeting));
                                HttpUtil.setContentLength(response, greeting.length);
                                HttpUtil.setKeepAlive(response, false);
                                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                            }
                        });
            }
        }));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> drain() {
        return connections.drain();
    }

    @Override
    public void closeAll() {
        connections.closeAll();
    }
}
