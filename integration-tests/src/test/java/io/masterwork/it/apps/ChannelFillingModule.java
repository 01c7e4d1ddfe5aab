package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import com.google.inject.Inject;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.FrameCodec;
import io.masterwork.channel.SpawnContract;
import io.masterwork.posix.Posix;
import io.masterwork.worker.http.HttpApplication;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;

/**
 * A compromised worker that fills its command channel: when the file {@code fill} appears in the prefix, a thread of
 * its own writes forged QUIT frames onto fd 3 until the channel takes no more (EAGAIN), then stops and prints
 * {@code forged: channel full after N frames from worker P}. The master must read, refuse and log each one.
 * Otherwise it is the built-in HTTP application.
 */
public final class ChannelFillingModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(FillingApplication.class);
    }

    public static final class FillingApplication implements WorkerApplication {
        private final Posix posix;
        private final HttpApplication http = new HttpApplication();

        @Inject
        FillingApplication(Posix posix) {
            this.posix = posix;
        }

        @Override
        public CompletionStage<Void> start(ApplicationContext context) throws Exception {
            Path trigger = context.prefix().resolve("fill");
            int pid = context.identity().pid();
            Thread filler = new Thread(() -> awaitAndFill(trigger, pid), "forged-fill");
            filler.setDaemon(true);
            filler.start();
            return http.start(context);
        }

        private void awaitAndFill(Path trigger, int pid) {
            try {
                while (!Files.exists(trigger)) {
                    Thread.sleep(20);
                }
                ByteBuffer quit = FrameCodec.encode(ChannelFrame.quit());
                ByteBuffer direct = ByteBuffer.allocateDirect(FrameCodec.MAX_FRAME_SIZE);
                long frames = 0;
                for (;;) {
                    direct.clear();
                    direct.put(quit.duplicate()).flip();
                    if (posix.sendMessage(SpawnContract.CHANNEL_FD, direct, -1) <= 0) {
                        break;
                    }
                    frames++;
                }
                System.err.println("forged: channel full after " + frames + " frames from worker " + pid);
            } catch (Exception e) {
                System.err.println("forged: filling failed: " + e);
            }
        }

        @Override
        public CompletionStage<Void> drain() {
            return http.drain();
        }

        @Override
        public void stopAccepting() {
            http.stopAccepting();
        }

        @Override
        public void closeAll() {
            http.closeAll();
        }
    }
}
