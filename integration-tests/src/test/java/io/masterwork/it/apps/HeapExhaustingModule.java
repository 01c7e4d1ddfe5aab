package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A worker with a leak: a client that sends "leak" makes it hold on to memory until its heap is exhausted (on its
 * event loop, as a real leak in a request handler would); anything else is answered "ok".
 */
public final class HeapExhaustingModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(LeakingApplication.class);
    }

    public static final class LeakingApplication implements WorkerApplication {
        private static final List<long[]> HELD = new ArrayList<>();

        @Override
        public CompletionStage<Void> start(ApplicationContext context) {
            context.listeners().forEach(l -> l.serve(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            String text = ((ByteBuf) msg).toString(StandardCharsets.US_ASCII);
                            ((ByteBuf) msg).release();
                            if (text.contains("leak")) {
                                for (;;) {
                                    HELD.add(new long[1 << 17]);
                                }
                            }
                            ctx.writeAndFlush(Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII));
                        }
                    });
                }
            }));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> drain() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void closeAll() {
        }
    }
}
