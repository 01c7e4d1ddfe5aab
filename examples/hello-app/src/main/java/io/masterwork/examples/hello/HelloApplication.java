package io.masterwork.examples.hello;

import io.masterwork.api.ApplicationContext;
import io.masterwork.api.Listener;
import io.masterwork.api.WorkerApplication;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A downstream application: answers every request with {@code app.greeting} and the pid of the
 * worker that answered, one request per connection.
 */
public final class HelloApplication implements WorkerApplication {
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

    @Override
    public CompletionStage<Void> start(ApplicationContext context) {
        byte[] greeting = (context.settings("app").getString("greeting") + " from worker "
                + context.identity().pid() + "\n").getBytes(StandardCharsets.UTF_8);
        for (Listener listener : context.listeners()) {
            listener.serve(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel channel) {
                    connections.add(channel);
                    channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                            new SimpleChannelInboundHandler<FullHttpRequest>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                            HttpResponseStatus.OK, Unpooled.wrappedBuffer(greeting));
                                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                                            .setInt(HttpHeaderNames.CONTENT_LENGTH, greeting.length)
                                            .set(HttpHeaderNames.CONNECTION, "close");
                                    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                                }
                            });
                }
            });
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Every response closes its connection: the drain is over when the open ones have closed. */
    @Override
    public CompletionStage<Void> drain() {
        CompletableFuture<Void> drained = new CompletableFuture<>();
        connections.newCloseFuture().addListener(f -> drained.complete(null));
        return drained;
    }

    @Override
    public void closeAll() {
        connections.close();
    }
}
