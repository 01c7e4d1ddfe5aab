package io.masterwork.worker.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.ConnectionAdopter;
import io.masterwork.api.ConnectionHandover;
import io.masterwork.api.MovedConnection;
import io.masterwork.api.Listener;
import io.masterwork.api.Sibling;
import io.masterwork.api.SiblingMessage;
import io.masterwork.api.SiblingMessageException;
import io.masterwork.api.SiblingMessages;
import io.masterwork.api.WorkerIdentity;
import io.masterwork.api.http.HttpConnectionMove;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** Protocol details of the built-in application on an EmbeddedChannel (no sockets, no worker). */
class HttpApplicationTest {
    @TempDir
    Path dir;

    private HttpApplication start(String http, List<Sibling> siblings) throws Exception {
        return start(http, siblings, ConnectionHandover.NONE);
    }

    private HttpApplication start(String http, List<Sibling> siblings, ConnectionHandover handover) throws Exception {
        Config settings = ConfigFactory.parseString(http);
        HttpApplication app = new HttpApplication();
        app.start(new ApplicationContext() {
            public WorkerIdentity identity() {
                return new WorkerIdentity(1234, 2, 5, 1);
            }

            public List<Listener> listeners() {
                return List.of();
            }

            public Config settings(String section) {
                return section.equals("http") ? settings : ConfigFactory.empty();
            }

            public Config configuration() {
                return ConfigFactory.empty();
            }

            public Path prefix() {
                return dir;
            }

            public EventLoop eventLoop() {
                return null;
            }

            public List<Sibling> siblings() {
                return siblings;
            }

            public SiblingMessages messages() {
                return new UnreachableSiblings(siblings);
            }

            public ConnectionHandover handover() {
                return handover;
            }
        }).toCompletableFuture().get();
        return app;
    }

    /** Siblings listed but never reachable: every send fails at once, as to siblings that have all gone. */
    private record UnreachableSiblings(List<Sibling> siblings) implements SiblingMessages {
        @Override
        public CompletionStage<Void> send(long slot, byte[] payload) {
            return CompletableFuture.failedFuture(new SiblingMessageException(SiblingMessageException.Reason.SIBLING_GONE,
                    slot, "sibling slot " + slot + " is \"gone\""));
        }

        @Override
        public Map<Sibling, CompletionStage<Void>> broadcast(byte[] payload) {
            Map<Sibling, CompletionStage<Void>> sends = new LinkedHashMap<>();
            siblings.forEach(s -> sends.put(s, send(s.slot(), payload)));
            return sends;
        }

        @Override
        public void onMessage(Consumer<SiblingMessage> handler) {
        }
    }

    /** Successors that take every connection while {@link #available}, recording what moved. */
    private static final class Successors implements ConnectionHandover {
        boolean available;
        final List<MovedConnection> moved = new ArrayList<>();
        ConnectionAdopter adopter;

        @Override
        public boolean available() {
            return available;
        }

        @Override
        public boolean moveAway(Channel channel, MovedConnection state) {
            if (!available) {
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

    private static String exchange(EmbeddedChannel channel, String request) {
        channel.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
        channel.runPendingTasks();
        StringBuilder out = new StringBuilder();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null) {
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }

    @Test
    void anyPathGetsTheBodyByteForByte() throws Exception {
        HttpApplication app = start("body = \"x\\u00ffy\\n\", access_log = off", List.of());
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        String response = exchange(channel, "GET /a/b?c=d HTTP/1.1\r\nHost: t\r\n\r\n");
        byte[] expected = "x\u00ffy\n".getBytes(StandardCharsets.UTF_8);
        assertThat(response).startsWith("HTTP/1.1 200 OK\r\n")
                .contains("content-type: text/plain\r\n")
                .contains("content-length: " + expected.length + "\r\n")
                .endsWith("\r\n\r\n" + new String(expected, StandardCharsets.ISO_8859_1))
                .doesNotContain("connection:");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void pipelinedRequestsWithAndWithoutBodiesAreAnsweredInOrderAndTheBodiesAreNeverTakenForRequests() throws Exception {
        HttpApplication app = start("body = \"b\\n\", access_log = off", List.of());
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        // A body that looks like a request must be read and dropped, not answered.
        String body = "GET /not-a-request HTTP/1.1\r\n\r\n";
        String response = exchange(channel, "GET /1 HTTP/1.1\r\nHost: t\r\n\r\n"
                + "POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
                + "POST /3 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                + "GET /4 HTTP/1.1\r\nHost: t\r\n\r\n");
        assertThat(response.split("HTTP/1.1 200 OK", -1)).as("four answers, no more").hasSize(5);
        assertThat(response).doesNotContain("HTTP/1.1 400").doesNotContain("connection: close");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void expectContinueGetsAnInterimAnswerBeforeTheBodyAndOneFinalAnswer() throws Exception {
        HttpApplication app = start("body = \"b\\n\", access_log = off", List.of());
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        String interim = exchange(channel, "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        assertThat(interim).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
        String answer = exchange(channel, "abcd");
        assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nb\n");
        // No interim answer without the header, nor for HTTP/1.0 (RFC 9110: a 1.0 client cannot expect one).
        assertThat(exchange(channel, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx"))
                .startsWith("HTTP/1.1 200 OK\r\n");
        assertThat(exchange(channel, "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"))
                .startsWith("HTTP/1.0 200 OK\r\n");
    }

    @Test
    void aBodyAnnouncedLargerThanTheLimitIs413AndTheConnectionEnds() throws Exception {
        HttpApplication app = start("body = \"b\\n\", access_log = off", List.of());
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        String response = exchange(channel, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: "
                + (HttpConnection.MAX_BODY + 1) + "\r\n\r\nabc");
        assertThat(response).startsWith("HTTP/1.1 413 Request Entity Too Large\r\n").contains("connection: close\r\n")
                .doesNotContain("200 OK");
    }

    @Test
    void workerJsonListsTheSiblingsHeld() throws Exception {
        HttpApplication app = start("access_log = off", List.of(new Sibling(0, 100), new Sibling(1, 101)));
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        assertThat(exchange(channel, "GET /_worker HTTP/1.1\r\nHost: t\r\n\r\n"))
                .contains("content-type: application/json")
                .endsWith("{\"pid\":1234,\"slot\":2,\"generation\":5,\"siblings\":[{\"slot\":0,\"pid\":100},{\"slot\":1,\"pid\":101}],"
                        + "\"cache\":{\"value\":null,\"purges\":0},\"handover\":{\"moved\":0,\"adopted\":0}}");
    }

    @Test
    void aPurgeDropsTheCachedValueHereAndNamesEachSiblingItCouldNotReach() throws Exception {
        HttpApplication app = start("access_log = off", List.of(new Sibling(0, 100)));
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        String first = exchange(channel, "GET /_cache HTTP/1.1\r\nHost: t\r\n\r\n");
        assertThat(first).contains("by pid 1234");
        assertThat(exchange(channel, "GET /_cache HTTP/1.1\r\nHost: t\r\n\r\n")).isEqualTo(first);
        assertThat(exchange(channel, "POST /_cache/purge HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"))
                .endsWith("{\"purged\":[{\"slot\":2,\"pid\":1234}],"
                        + "\"failed\":[{\"slot\":0,\"pid\":100,\"error\":\"sibling slot 0 is \\\"gone\\\"\"}]}");
        assertThat(exchange(channel, "GET /_worker HTTP/1.1\r\nHost: t\r\n\r\n"))
                .contains("\"cache\":{\"value\":null,\"purges\":1}");
    }

    @Test
    void siblingRequestsCountsThisWorkersRequestsAndNamesEachUnreachableSiblingWithItsError() throws Exception {
        HttpApplication app = start("access_log = off", List.of(new Sibling(0, 100), new Sibling(1, 101)));
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        exchange(channel, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertThat(exchange(channel, "GET /_siblings/requests HTTP/1.1\r\nHost: t\r\n\r\n"))
                .contains("content-type: application/json")
                .endsWith("{\"workers\":[{\"slot\":0,\"pid\":100,\"error\":\"sibling slot 0 is \\\"gone\\\"\"},"
                        + "{\"slot\":1,\"pid\":101,\"error\":\"sibling slot 1 is \\\"gone\\\"\"},"
                        + "{\"slot\":2,\"pid\":1234,\"requests\":2}]}");
    }

    @Test
    void bytesStreamsTheAlphabetPattern() throws Exception {
        HttpApplication app = start("access_log = off, max_bytes = 100000", List.of());
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        String response = exchange(channel, "GET /_bytes/40000 HTTP/1.1\r\nHost: t\r\n\r\n");
        String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        assertThat(response).contains("content-length: 40000");
        assertThat(body).hasSize(40000).startsWith("abcdefghijklmnopqrstuvwxyzabc");
        assertThat(body.charAt(39999)).isEqualTo((char) ('a' + 39999 % 26));
        assertThat(exchange(channel, "GET /_bytes/100001 HTTP/1.1\r\nHost: t\r\n\r\n")).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void badRequestIs400AndCloses() throws Exception {
        HttpApplication app = start("access_log = off", List.of());
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        assertThat(exchange(channel, "\u0001\u0002 nonsense\r\n\r\n")).startsWith("HTTP/1.1 400 ").contains("connection: close");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void keepaliveRequestsAndHttp10() throws Exception {
        HttpApplication app = start("access_log = off, keepalive_requests = 2", List.of());
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        assertThat(exchange(channel, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
                .startsWith("HTTP/1.0 200 OK").contains("connection: keep-alive");
        assertThat(exchange(channel, "GET / HTTP/1.1\r\nHost: t\r\n\r\n")).contains("connection: close");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void afterDrainTheNextResponseSaysClose() throws Exception {
        HttpApplication app = start("access_log = off", List.of());
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        exchange(channel, "GET / HTTP/1.1\r\nHost: t\r\n");
        var drained = app.drain().toCompletableFuture();
        assertThat(drained).isNotDone();
        assertThat(exchange(channel, "\r\n")).contains("connection: close");
        assertThat(channel.isOpen()).isFalse();
        assertThat(drained).isCompleted();
    }

    @Test
    void theAccessLogHasOneCombinedLinePerRequest() throws Exception {
        HttpApplication app = start("access_log = access.log", List.of());
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        exchange(channel, "GET /x?\"q\" HTTP/1.1\r\nHost: t\r\nReferer: http://r/\r\nUser-Agent: probe \"1\"\r\n\r\n");
        List<String> lines = Files.readAllLines(dir.resolve("access.log"));
        assertThat(lines).hasSize(1);
        // EmbeddedChannel has no IP address: $remote_addr is "-".
        assertThat(lines.get(0)).matches("- - - \\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\\] "
                + "\"GET /x\\?\\\\x22q\\\\x22 HTTP/1\\.1\" 200 22 \"http://r/\" \"probe \\\\x221\\\\x22\"");
    }

    @Test
    void withASuccessorAnIdleConnectionMovesWithItsUnreadBytesAndItsCount() throws Exception {
        Successors successors = new Successors();
        HttpApplication app = start("access_log = off", List.of(), successors);
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        exchange(channel, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        exchange(channel, "GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /next HT");
        successors.available = true;
        var drained = app.drain().toCompletableFuture();
        channel.runPendingTasks();
        assertThat(successors.moved).hasSize(1);
        MovedConnection moved = successors.moved.get(0);
        assertThat(moved.protocol()).isEqualTo(HttpConnectionMove.PROTOCOL);
        assertThat(new String(moved.unread(), StandardCharsets.US_ASCII)).isEqualTo("GET /next HT");
        assertThat(HttpConnectionMove.served(moved)).isEqualTo(2);
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.<ByteBuf>readOutbound()).as("nothing written to the client by the move").isNull();
        assertThat(app.movedAway()).isEqualTo(1);
        assertThat(drained).isCompleted();
    }

    @Test
    void withASuccessorAConnectionMidRequestKeepsAliveAndMovesOnceAnswered() throws Exception {
        Successors successors = new Successors();
        HttpApplication app = start("access_log = off", List.of(), successors);
        EmbeddedChannel channel = new EmbeddedChannel();
        app.accept(channel);
        exchange(channel, "GET / HTTP/1.1\r\nHost:");
        successors.available = true;
        app.drain();
        channel.runPendingTasks();
        assertThat(successors.moved).isEmpty();
        assertThat(exchange(channel, " t\r\n\r\n")).startsWith("HTTP/1.1 200 OK").doesNotContain("connection: close");
        assertThat(successors.moved).hasSize(1);
        assertThat(HttpConnectionMove.served(successors.moved.get(0))).isEqualTo(1);
    }

    @Test
    void anAdoptedConnectionGoesOnCountingTowardsKeepaliveRequests() throws Exception {
        Successors successors = new Successors();
        HttpApplication app = start("access_log = off, keepalive_requests = 3", List.of(), successors);
        EmbeddedChannel channel = new EmbeddedChannel();
        assertThat(successors.adopter.adopt(channel,
                new MovedConnection(HttpConnectionMove.PROTOCOL, new byte[0], HttpConnectionMove.state(2)))).isTrue();
        assertThat(app.adopted()).isEqualTo(1);
        assertThat(exchange(channel, "GET / HTTP/1.1\r\nHost: t\r\n\r\n")).contains("connection: close");
        assertThat(successors.adopter.adopt(new EmbeddedChannel(),
                new MovedConnection("h2", new byte[0], new byte[0]))).as("a protocol it does not speak").isFalse();
    }

    @Test
    void whileDrainingAMovedConnectionIsTakenInOnlyToPassItOn() throws Exception {
        Successors successors = new Successors();
        HttpApplication app = start("access_log = off", List.of(), successors);
        EmbeddedChannel open = new EmbeddedChannel();
        app.accept(open);
        exchange(open, "GET / HTTP/1.1\r\nHost:");
        app.drain();
        MovedConnection idle = new MovedConnection(HttpConnectionMove.PROTOCOL, new byte[0], HttpConnectionMove.state(1));
        assertThat(successors.adopter.adopt(new EmbeddedChannel(), idle)).as("no successor of its own").isFalse();
        successors.available = true;
        EmbeddedChannel passedOn = new EmbeddedChannel();
        assertThat(successors.adopter.adopt(passedOn, idle)).as("a successor to pass it on to").isTrue();
        passedOn.runPendingTasks();
        assertThat(successors.moved).hasSize(1);
        assertThat(passedOn.isOpen()).isFalse();
    }
}
