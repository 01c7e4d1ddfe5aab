package io.masterwork.bench;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.Signal;
import io.masterwork.posix.SpawnRequest;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The baseline of the request-path comparison (issue 25, {@code bench/compare-nginx.sh}): what a plain Netty
 * 4.2 native-epoll HTTP server costs on this machine, with nothing of masterwork's around it. Run as the
 * parent, it binds one listening socket and starts {@code --processes} JVMs that all inherit it at fd 3
 * (one shared accept queue, as nginx's and masterwork's workers share the master's socket: not SO_REUSEPORT);
 * each serves it on one epoll event loop with {@link HttpServerCodec} and a handler that answers every request
 * with the same bytes the built-in application sends for its body ({@code 200}, {@code content-type:
 * text/plain}, {@code content-length}; {@code connection: close} when the request does not keep alive).
 * Responses are written as requests are read and flushed once per read batch, as a Netty server is written.
 *
 * <p>{@code --pipeline hello} runs examples/hello-app's pipeline instead, as plain Netty would run it (the baseline of
 * {@code bench/hello-app-vs-plain.sh}): {@link HttpServerCodec}, {@link HttpObjectAggregator}{@code (65536)} and a
 * {@link SimpleChannelInboundHandler}{@code <FullHttpRequest>} that answers every request as hello-app's
 * {@code HelloApplication} does, byte for byte: {@code 200}, {@code content-length}, the body
 * {@code "<greeting> from worker <pid>\n"} with this process's pid ({@code --greeting}, default {@code Hello}, the
 * greeting of hello-app's own configuration), {@code connection: close} when the request does not keep alive (and the
 * connection closed once that answer is written), one {@code writeAndFlush} per response. Only the behaviour is
 * hello-app's; this module does not depend on it.
 *
 * <pre>
 *   java -cp ... io.masterwork.bench.PlainNettyServer --listen 127.0.0.1:8080 --processes 2 --body-file body.txt \
 *        -- -XX:+UseSerialGC ...        # JVM flags of the children (compare-nginx.sh passes masterwork's worker flags)
 *   java -cp ... io.masterwork.bench.PlainNettyServer --listen 127.0.0.1:8080 --processes 2 --pipeline hello \
 *        --greeting Hello -- ...        # hello-app's pipeline (hello-app-vs-plain.sh passes its workers' flags)
 * </pre>
 *
 * The parent prints {@code listening <host:port> pids <p1,p2,...>} once every child is spawned, waits for them,
 * and on SIGTERM/SIGINT (a shutdown hook) kills them. A child that cannot serve exits 2.
 */
public final class PlainNettyServer {
    private static final int LISTENER_FD = 3;
    private static final String DEFAULT_PIPELINE = "default";
    private static final String HELLO_PIPELINE = "hello";

    private PlainNettyServer() {
    }

    public static void main(String[] args) throws Exception {
        List<String> own = new ArrayList<>();
        List<String> childJvm = new ArrayList<>();
        boolean jvm = false;
        for (String arg : args) {
            if (!jvm && arg.equals("--")) {
                jvm = true;
            } else {
                (jvm ? childJvm : own).add(arg);
            }
        }
        String listen = value(own, "--listen", null);
        String bodyFile = value(own, "--body-file", null);
        String pipeline = value(own, "--pipeline", DEFAULT_PIPELINE);
        String greeting = value(own, "--greeting", "Hello");
        boolean hello = pipeline.equals(HELLO_PIPELINE);
        if (value(own, "--child", null) != null) {
            if (hello) {
                byte[] answer = (greeting + " from worker " + ProcessHandle.current().pid() + "\n")
                        .getBytes(StandardCharsets.UTF_8);
                serve(() -> helloPipeline(answer));
            } else {
                serve(defaultPipeline(Files.readAllBytes(Path.of(bodyFile))));
            }
            return;
        }
        if (listen == null || !(hello || pipeline.equals(DEFAULT_PIPELINE)) || (!hello && bodyFile == null)) {
            System.err.println("usage: PlainNettyServer --listen host:port --processes N --body-file F [-- child JVM flags]\n"
                    + "       PlainNettyServer --listen host:port --processes N --pipeline hello [--greeting G] [-- child JVM flags]");
            System.exit(64);
        }
        int processes = Integer.parseInt(value(own, "--processes", "2"));
        List<String> childArgs = hello ? List.of("--pipeline", HELLO_PIPELINE, "--greeting", greeting)
                : List.of("--body-file", bodyFile);
        runParent(listen, processes, childArgs, childJvm);
    }

    private static String value(List<String> args, String name, String fallback) {
        int i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : fallback;
    }

    private static void runParent(String listen, int processes, List<String> childArgs, List<String> childJvm) {
        Posix posix = NativePosix.get();
        int colon = listen.lastIndexOf(':');
        InetSocketAddress address = new InetSocketAddress(listen.substring(0, colon),
                Integer.parseInt(listen.substring(colon + 1)));
        // The same backlog as masterwork's master and nginx (511).
        int fd = posix.listenTcp(address, 511);
        List<String> argv = new ArrayList<>();
        argv.add("plain-netty: worker process");
        argv.addAll(childJvm);
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add(PlainNettyServer.class.getName());
        argv.addAll(List.of("--child", "1"));
        argv.addAll(childArgs);
        List<String> env = new ArrayList<>();
        System.getenv().forEach((k, v) -> env.add(k + "=" + v));
        List<Integer> pids = new ArrayList<>();
        for (int i = 0; i < processes; i++) {
            pids.add(posix.spawn(new SpawnRequest(posix.executablePath()).argv(argv).environment(env)
                    .mapFd(0, 0).mapFd(1, 1).mapFd(2, 2).mapFd(fd, LISTENER_FD)));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (int pid : pids) {
                try {
                    posix.kill(pid, Signal.KILL);
                } catch (RuntimeException gone) {
                    // already reaped
                }
            }
        }));
        System.out.println("listening " + posix.localAddress(fd) + " pids "
                + String.join(",", pids.stream().map(String::valueOf).toList()));
        System.out.flush();
        for (int pid : pids) {
            posix.waitpid(pid, false);
        }
    }

    /** The default pipeline: the codec and {@link Answer}, answering the body's bytes. */
    private static Supplier<ChannelHandler[]> defaultPipeline(byte[] body) {
        ByteBuf content = Unpooled.unreleasableBuffer(Unpooled.directBuffer(body.length).writeBytes(body));
        return () -> new ChannelHandler[] {new HttpServerCodec(), new Answer(content)};
    }

    /** hello-app's pipeline: the codec, the aggregator and {@link Hello}, new ones for every connection. */
    private static ChannelHandler[] helloPipeline(byte[] greeting) {
        return new ChannelHandler[] {new HttpServerCodec(), new HttpObjectAggregator(65536), new Hello(greeting)};
    }

    /** Serves the inherited listener, {@code pipeline} giving each new connection its handlers. */
    private static void serve(Supplier<ChannelHandler[]> pipeline) throws InterruptedException {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EpollServerSocketChannel server = new EpollServerSocketChannel(LISTENER_FD);
        ChannelHandler initializer = new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                channel.pipeline().addLast(pipeline.get());
            }
        };
        try {
            new ServerBootstrap().group(group).channelFactory(() -> server).childHandler(initializer)
                    .childOption(ChannelOption.TCP_NODELAY, true).register().sync();
        } catch (RuntimeException e) {
            System.err.println("plain-netty: cannot serve fd " + LISTENER_FD + ": " + e);
            System.exit(2);
        }
        server.closeFuture().sync();
    }

    /**
     * What examples/hello-app's handler does, behind plain Netty: one answer per aggregated request, written and
     * flushed at once; a request that does not keep alive gets {@code connection: close} and its connection is closed
     * once that answer is written (in hello-app, worker-api's {@code HttpHandover} closes it).
     */
    private static final class Hello extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final byte[] greeting;

        Hello(byte[] greeting) {
            this.greeting = greeting;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(greeting));
            HttpUtil.setContentLength(response, greeting.length);
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            ChannelFuture written = ctx.writeAndFlush(response);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Every request gets the body; the write is flushed at the end of the read batch. */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final ByteBuf content;
        private boolean keepAlive;

        Answer(ByteBuf content) {
            this.content = content;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request) {
                    keepAlive = HttpUtil.isKeepAlive(request);
                }
                if (msg instanceof LastHttpContent) {
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            content.duplicate());
                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
                    if (!keepAlive) {
                        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                    } else {
                        ctx.write(response, ctx.voidPromise());
                    }
                } else if (!(msg instanceof HttpRequest) && !(msg instanceof HttpContent)) {
                    ctx.fireChannelRead(ReferenceCountUtil.retain(msg));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
