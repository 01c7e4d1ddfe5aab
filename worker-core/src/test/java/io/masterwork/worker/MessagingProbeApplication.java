package io.masterwork.worker;

import io.masterwork.api.ApplicationContext;
import io.masterwork.api.Connections;
import io.masterwork.api.SiblingMessage;
import io.masterwork.api.SiblingMessageException;
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
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A worker application for the sibling-message tests, driven over HTTP (one request per connection):
 * <ul>
 *   <li>{@code /send?slot=N&count=K&size=S}: sends K messages to slot N, each the ASCII sequence
 *       number 0..K-1 padded with dots to S bytes (S may exceed the limit, to see the refusal); answers
 *       at once with the totals so far (the sends never make it wait)</li>
 *   <li>{@code /sent}: the totals, {@code ok=.. pending=.. failed=.. reasons=[..] error=..};
 *       {@code /reset} zeroes them (all but pending)</li>
 *   <li>{@code /received?from=N}: {@code count=.. inOrder=.. pid=..} of what arrived from slot N</li>
 *   <li>{@code /siblings}: {@link io.masterwork.api.SiblingMessages#siblings()}</li>
 *   <li>anything else: {@code pong}</li>
 * </ul>
 * Everything runs on the worker's event loop, so the counters need no locks.
 */
public final class MessagingProbeApplication implements WorkerApplication {
    private final Connections connections = new Connections();
    private ApplicationContext context;
    private long ok;
    private long pending;
    private long failed;
    private final Map<String, Long> reasons = new TreeMap<>();
    private String lastError = "";
    private final Map<Long, Received> received = new TreeMap<>();

    private static final class Received {
        long count;
        boolean inOrder = true;
        int pid;
    }

    @Override
    public CompletionStage<Void> start(ApplicationContext context) {
        this.context = context;
        context.messages().onMessage(this::onMessage);
        context.listeners().forEach(listener -> listener.serve(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                connections.track(channel);
                channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                byte[] body = answer(new QueryStringDecoder(request.uri()))
                                        .getBytes(StandardCharsets.UTF_8);
                                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
                                HttpUtil.setContentLength(response, body.length);
                                HttpUtil.setKeepAlive(response, false);
                                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                            }
                        });
            }
        }));
        return CompletableFuture.completedFuture(null);
    }

    private void onMessage(SiblingMessage message) {
        Received from = received.computeIfAbsent(message.senderSlot(), s -> new Received());
        String text = new String(message.payload(), StandardCharsets.US_ASCII);
        int dot = text.indexOf('.');
        long seq = Long.parseLong(dot < 0 ? text : text.substring(0, dot));
        if (seq != from.count) {
            from.inOrder = false;
        }
        from.count++;
        from.pid = message.senderPid();
    }

    private String answer(QueryStringDecoder uri) {
        switch (uri.path()) {
            case "/send" -> {
                send(Long.parseLong(param(uri, "slot", null)), Integer.parseInt(param(uri, "count", "1")),
                        Integer.parseInt(param(uri, "size", "0")));
                return totals();
            }
            case "/sent" -> {
                return totals();
            }
            case "/reset" -> {
                ok = 0;
                failed = 0;
                reasons.clear();
                lastError = "";
                return totals();
            }
            case "/received" -> {
                Received from = received.getOrDefault(Long.parseLong(param(uri, "from", null)), new Received());
                return "count=" + from.count + " inOrder=" + from.inOrder + " pid=" + from.pid;
            }
            case "/siblings" -> {
                return context.messages().siblings().toString();
            }
            default -> {
                return "pong";
            }
        }
    }

    private void send(long slot, int count, int size) {
        for (int i = 0; i < count; i++) {
            byte[] digits = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
            byte[] payload = Arrays.copyOf(digits, Math.max(size, digits.length));
            Arrays.fill(payload, digits.length, payload.length, (byte) '.');
            pending++;
            context.messages().send(slot, payload).whenComplete((done, failure) -> {
                pending--;
                if (failure == null) {
                    ok++;
                } else {
                    failed++;
                    String reason = failure instanceof SiblingMessageException e ? e.reason().name()
                            : failure.getClass().getName();
                    reasons.merge(reason, 1L, Long::sum);
                    lastError = failure.getMessage();
                }
            });
        }
    }

    private String totals() {
        return "ok=" + ok + " pending=" + pending + " failed=" + failed + " reasons=" + reasons.keySet()
                + " error=" + lastError;
    }

    private static String param(QueryStringDecoder uri, String name, String fallback) {
        List<String> values = uri.parameters().get(name);
        if (values == null || values.isEmpty()) {
            if (fallback == null) {
                throw new IllegalArgumentException("missing parameter " + name);
            }
            return fallback;
        }
        return values.get(0);
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
