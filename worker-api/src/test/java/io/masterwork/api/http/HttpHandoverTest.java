package io.masterwork.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.ConnectionAdopter;
import io.masterwork.api.ConnectionHandover;
import io.masterwork.api.Listener;
import io.masterwork.api.MovedConnection;
import io.masterwork.api.Sibling;
import io.masterwork.api.SiblingMessages;
import io.masterwork.api.WorkerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.Test;

/** The drain-and-handover block on an embedded channel: what a connection does when its worker drains. */
class HttpHandoverTest {

    /** A handover whose successors take every connection (or none), recording what moved. */
    private static final class FakeHandover implements ConnectionHandover {
        boolean available;
        boolean accepts = true;
        final List<MovedConnection> moved = new ArrayList<>();
        ConnectionAdopter adopter;

        @Override
        public boolean available() {
            return available;
        }

        @Override
        public boolean moveAway(Channel channel, MovedConnection state) {
            if (!accepts) {
                return false;
            }
            moved.add(state);
            channel.close();
            return true;
        }

        @Override
        public void onAdopt(ConnectionAdopter adopter) {
            this.adopter = adopter;
        }
    }

    private static final class FakeContext implements ApplicationContext {
        final FakeHandover handover = new FakeHandover();

        @Override public WorkerIdentity identity() { return new WorkerIdentity(1, 0, 1, 1); }
        @Override public List<Listener> listeners() { return List.of(); }
        @Override public Config settings(String section) { return ConfigFactory.empty(); }
        @Override public Config configuration() { return ConfigFactory.empty(); }
        @Override public Path prefix() { return Path.of("."); }
        @Override public EventLoop eventLoop() { throw new UnsupportedOperationException(); }
        @Override public List<Sibling> siblings() { return List.of(); }
        @Override public SiblingMessages messages() { throw new UnsupportedOperationException(); }
        @Override public ConnectionHandover handover() { return handover; }
    }

    private final FakeContext context = new FakeContext();
    /** The application: answers "ok", keeping the connection alive as the request asks. */
    private final HttpHandover http = new HttpHandover(context, pipeline -> pipeline.addLast(new HttpObjectAggregator(1024),
            new SimpleChannelInboundHandler<FullHttpRequest>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.copiedBuffer("ok", StandardCharsets.US_ASCII));
                    HttpUtil.setContentLength(response, 2);
                    HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
                    ctx.writeAndFlush(response);
                }
            }));

    private EmbeddedChannel connect() {
        return new EmbeddedChannel(http.initializer());
    }

    private static void send(EmbeddedChannel channel, String raw) {
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.US_ASCII));
        channel.runPendingTasks();
    }

    private static String answers(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            text.append(out.toString(StandardCharsets.US_ASCII));
            out.release();
        }
        return text.toString();
    }

    private static final String GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    @Test
    void keepAliveConnectionsStayOpenUntilADrain() {
        EmbeddedChannel channel = connect();
        send(channel, GET);
        send(channel, GET);
        assertThat(answers(channel)).contains("200 OK").doesNotContainIgnoringCase("connection: close");
        assertThat(channel.isOpen()).isTrue();
        assertThat(http.size()).isEqualTo(1);
    }

    @Test
    void anAnswerThatDoesNotKeepAliveClosesTheConnection() {
        EmbeddedChannel channel = connect();
        send(channel, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(answers(channel)).containsIgnoringCase("connection: close");
        assertThat(channel.isOpen()).isFalse();
        assertThat(http.size()).isZero();
    }

    @Test
    void withoutASuccessorTheNextAnswerSaysCloseAndTheDrainCompletes() {
        EmbeddedChannel channel = connect();
        send(channel, "GET / HTTP/1.1\r\nHost: x\r\n");   // a request under way when the drain begins
        CompletionStage<Void> drained = http.drain();
        assertThat(drained.toCompletableFuture()).isNotDone();
        send(channel, "\r\n");
        assertThat(answers(channel)).containsIgnoringCase("connection: close");
        assertThat(channel.isOpen()).isFalse();
        assertThat(drained.toCompletableFuture()).isCompleted();
        assertThat(context.handover.moved).isEmpty();
    }

    @Test
    void withoutASuccessorTheFirstBytesOfANextRequestAreNotCutOff() {
        EmbeddedChannel channel = connect();
        send(channel, GET);
        answers(channel);
        http.drain();
        send(channel, "GET /next HT");                  // its request line not even whole when the grace ends
        channel.advanceTimeBy(HttpConnectionDrain.GRACE.toMillis() * 2, java.util.concurrent.TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).as("the request under way is not cut off").isTrue();
        send(channel, "TP/1.1\r\nHost: x\r\n\r\n");
        assertThat(answers(channel)).contains("200 OK").containsIgnoringCase("connection: close");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void withoutASuccessorAnIdleConnectionClosesAfterTheGrace() {
        EmbeddedChannel channel = connect();
        send(channel, GET);
        answers(channel);
        CompletionStage<Void> drained = http.drain();
        assertThat(channel.isOpen()).as("a request may be on its way").isTrue();
        channel.advanceTimeBy(HttpConnectionDrain.GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isFalse();
        assertThat(drained.toCompletableFuture()).isCompleted();
    }

    @Test
    void withASuccessorAnIdleConnectionMovesWithItsUnreadBytesAndItsCount() {
        context.handover.available = true;
        EmbeddedChannel channel = connect();
        send(channel, GET);
        send(channel, GET + "GET /next HT");            // a next request's start, read but not decoded
        answers(channel);
        CompletionStage<Void> drained = http.drain();
        channel.runPendingTasks();
        assertThat(context.handover.moved).hasSize(1);
        MovedConnection moved = context.handover.moved.get(0);
        assertThat(moved.protocol()).isEqualTo(HttpConnectionMove.PROTOCOL);
        assertThat(new String(moved.unread(), StandardCharsets.US_ASCII)).isEqualTo("GET /next HT");
        assertThat(HttpConnectionMove.served(moved)).isEqualTo(2);
        assertThat(channel.isOpen()).isFalse();
        assertThat(answers(channel)).as("nothing written to the client by the move").isEmpty();
        assertThat(drained.toCompletableFuture()).isCompleted();
    }

    @Test
    void aConnectionMidRequestMovesOnceItsAnswerIsWritten() {
        context.handover.available = true;
        EmbeddedChannel channel = connect();
        send(channel, "GET / HTTP/1.1\r\nHost:");
        http.drain();
        channel.runPendingTasks();
        assertThat(context.handover.moved).isEmpty();
        send(channel, " x\r\n\r\n");
        assertThat(answers(channel)).contains("200 OK").doesNotContainIgnoringCase("connection: close");
        channel.runPendingTasks();
        assertThat(context.handover.moved).hasSize(1);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aConnectionNoSuccessorTakesEndsGracefullyAfterTheRetries() {
        context.handover.available = true;
        context.handover.accepts = false;
        EmbeddedChannel channel = connect();
        send(channel, GET);
        answers(channel);
        http.drain();
        for (int i = 0; i < HttpConnectionMove.ATTEMPTS + 5 && channel.isOpen(); i++) {
            channel.advanceTimeBy(HttpConnectionMove.RETRY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            channel.runPendingTasks();
            channel.runScheduledPendingTasks();
        }
        channel.advanceTimeBy(HttpConnectionDrain.GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isFalse();
        assertThat(context.handover.moved).isEmpty();
    }

    @Test
    void anAdoptedConnectionGetsThePipelineAndGoesOnCounting() {
        assertThat(context.handover.adopter).as("HttpHandover registered itself as the adopter").isNotNull();
        EmbeddedChannel channel = new EmbeddedChannel();
        assertThat(context.handover.adopter.adopt(channel,
                new MovedConnection(HttpConnectionMove.PROTOCOL, new byte[0], HttpConnectionMove.state(7)))).isTrue();
        send(channel, GET);
        assertThat(answers(channel)).contains("200 OK");
        context.handover.available = true;
        http.drain();
        channel.runPendingTasks();
        assertThat(HttpConnectionMove.served(context.handover.moved.get(0))).isEqualTo(8);
        assertThat(context.handover.adopter.adopt(new EmbeddedChannel(),
                new MovedConnection("websocket", new byte[0], new byte[0]))).as("another protocol").isFalse();
    }

    @Test
    void aStateWithFieldsALaterVersionAddedIsStillRead() {
        byte[] longer = new byte[] {0, 0, 0, 5, 42, 42};
        assertThat(HttpConnectionMove.served(new MovedConnection(HttpConnectionMove.PROTOCOL, new byte[0], longer))).isEqualTo(5);
        assertThat(HttpConnectionMove.served(new MovedConnection(HttpConnectionMove.PROTOCOL, new byte[0], new byte[0]))).isZero();
    }
}
