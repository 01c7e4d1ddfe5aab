package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import io.masterwork.api.WorkerIdentity;
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
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The SPI's end of life, seen from outside: {@code GET /block} starts a blocking task on the worker's blocking
 * executor (it sleeps until interrupted, writing {@code blocking-<pid>} files as it starts and ends) and
 * answers with the thread's name; {@code stopped()} writes {@code stopped-<pid>} with the connections still
 * open then. Files go in {@code <prefix>/lifecycle}, which the test makes writable by the workers' user.
 */
public final class LifecycleModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(LifecycleApplication.class);
    }

    public static final class LifecycleApplication implements WorkerApplication {
        private final WorkerIdentity identity;
        private Path prefix;
        private HttpHandover http;

        @Inject
        public LifecycleApplication(WorkerIdentity identity) {
            this.identity = identity;
        }

        @Override
        public CompletionStage<Void> start(ApplicationContext context) {
            prefix = context.prefix();
            http = new HttpHandover(context, pipeline -> pipeline.addLast(new HttpObjectAggregator(1024),
                    new SimpleChannelInboundHandler<FullHttpRequest>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                            CompletableFuture<String> answer = new CompletableFuture<>();
                            if (request.uri().equals("/block")) {
                                context.blockingExecutor().execute(() -> block(answer));
                            } else {
                                answer.complete("ok");
                            }
                            answer.thenAcceptAsync(text -> ctx.writeAndFlush(response(text)), ctx.executor());
                        }
                    }));
            context.listeners().forEach(listener -> listener.serve(http.initializer()));
            return CompletableFuture.completedFuture(null);
        }

        private void block(CompletableFuture<String> answer) {
            write("blocking-" + identity.pid() + "-started", Thread.currentThread().getName());
            answer.complete(Thread.currentThread().getName());
            try {
                Thread.sleep(600_000);
                write("blocking-" + identity.pid() + "-ended", "slept");
            } catch (InterruptedException e) {
                write("blocking-" + identity.pid() + "-ended", "interrupted");
            }
        }

        private static FullHttpResponse response(String text) {
            byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            HttpUtil.setContentLength(response, body.length);
            return response;
        }

        private void write(String name, String text) {
            try {
                Files.writeString(prefix.resolve("lifecycle").resolve(name), text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public CompletionStage<Void> drain() {
            return http.drain();
        }

        @Override
        public void closeAll() {
            http.closeAll();
        }

        @Override
        public void stopped() {
            write("stopped-" + identity.pid(), "open connections: " + http.size());
        }
    }
}
