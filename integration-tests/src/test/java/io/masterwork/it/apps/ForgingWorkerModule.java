package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import com.google.inject.Inject;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.FrameCodec;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A hostile (compromised) worker: before READY it writes onto its command channel (fd 3) every command a master
 * sends — QUIT, TERMINATE, REOPEN, CLOSE_CHANNEL, an OPEN_CHANNEL carrying a descriptor — plus garbage, then floods
 * the channel with HEARTBEAT and STATUS frames for {@link #FLOOD_MILLIS} from a thread of its own, logging
 * {@code forged: flood done, N frames}. It answers "ok" on its listeners. The master must obey none of it.
 */
public final class ForgingWorkerModule extends AbstractModule {
    static final long FLOOD_MILLIS = 5_000;
    private static final int CHANNEL_FD = 3;

    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(ForgingApplication.class);
    }

    public static final class ForgingApplication implements WorkerApplication {
        private final Posix posix;

        @Inject
        ForgingApplication(Posix posix) {
            this.posix = posix;
        }

        @Override
        public CompletionStage<Void> start(ApplicationContext context) {
            int pid = context.identity().pid();
            long slot = context.identity().slot();
            int devNull = posix.open("/dev/null", OpenFlags.RDONLY, 0);
            send(ChannelFrame.quit(), -1);
            send(ChannelFrame.terminate(), -1);
            send(ChannelFrame.reopen(), -1);
            send(ChannelFrame.closeChannel(pid, slot), -1);
            send(ChannelFrame.openChannel(1, 0, devNull), devNull);
            send(ChannelFrame.message(pid, slot, "obey me".getBytes(StandardCharsets.US_ASCII)), -1);
            ByteBuffer garbage = ByteBuffer.allocateDirect(16).put("not a frame at all".getBytes(StandardCharsets.US_ASCII), 0, 16).flip();
            posix.sendMessage(CHANNEL_FD, garbage, -1);
            posix.close(devNull);
            Thread flood = new Thread(() -> flood(pid, slot), "forged-flood");
            flood.setDaemon(true);
            flood.start();
            context.listeners().forEach(l -> l.serve(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ((io.netty.buffer.ByteBuf) msg).release();
                            ctx.writeAndFlush(Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII));
                        }
                    });
                }
            }));
            return CompletableFuture.completedFuture(null);
        }

        private void flood(int pid, long slot) {
            ByteBuffer heartbeat = FrameCodec.encode(ChannelFrame.heartbeat(pid, slot));
            ByteBuffer status = FrameCodec.encode(ChannelFrame.status(pid, slot, new byte[4096]));
            ByteBuffer direct = ByteBuffer.allocateDirect(FrameCodec.MAX_FRAME_SIZE);
            long end = System.nanoTime() + FLOOD_MILLIS * 1_000_000;
            long frames = 0;
            while (System.nanoTime() < end) {
                ByteBuffer frame = (frames & 1) == 0 ? heartbeat : status;
                direct.clear();
                direct.put(frame.duplicate()).flip();
                if (posix.sendMessage(CHANNEL_FD, direct, -1) > 0) {
                    frames++;
                } else {
                    Thread.onSpinWait();
                }
            }
            System.err.println("forged: flood done, " + frames + " frames");
        }

        private void send(ChannelFrame frame, int fd) {
            ByteBuffer direct = ByteBuffer.allocateDirect(FrameCodec.MAX_FRAME_SIZE);
            direct.put(FrameCodec.encode(frame)).flip();
            posix.sendMessage(CHANNEL_FD, direct, fd);
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
