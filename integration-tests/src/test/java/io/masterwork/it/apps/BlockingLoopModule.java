package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Fault injection: a worker whose event loop blocks for good when a client sends "block" (anything else
 * is answered "ok"), the hung worker the watchdog must find.
 */
public final class BlockingLoopModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(BlockingApplication.class);
    }

    public static final class BlockingApplication implements WorkerApplication {
        @Override
        public CompletionStage<Void> start(ApplicationContext context) {
            context.listeners().forEach(l -> l.serve(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            String text = ((io.netty.buffer.ByteBuf) msg).toString(StandardCharsets.US_ASCII);
                            ((io.netty.buffer.ByteBuf) msg).release();
                            if (text.contains("block")) {
                                blockForever();
                            }
                            ctx.writeAndFlush(Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII));
                        }
                    });
                }
            }));
            return CompletableFuture.completedFuture(null);
        }

        private static void blockForever() {
            Object never = new Object();
            synchronized (never) {
                for (;;) {
                    try {
                        never.wait();
                    } catch (InterruptedException ignored) {
                        // a hung loop stays hung
                    }
                }
            }
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
