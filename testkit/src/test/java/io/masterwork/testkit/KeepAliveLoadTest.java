package io.masterwork.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The load client the zero-failure assertions rest on, against a server of a few lines that misbehaves on
 * purpose: every request it sets out to send ends counted, as answered or failed, whatever the server does.
 */
class KeepAliveLoadTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeServers() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** A server that answers the first {@code good} requests on each connection, then does {@code then}. */
    private int server(int good, String then) throws IOException {
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        AtomicBoolean running = new AtomicBoolean(true);
        List<Socket> accepted = new ArrayList<>();
        open.add(() -> {
            running.set(false);
            listener.close();
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        });
        Thread acceptor = new Thread(() -> {
            while (running.get()) {
                try {
                    Socket s = listener.accept();
                    synchronized (accepted) {
                        accepted.add(s);
                    }
                    Thread serving = new Thread(() -> serve(s, good, then));
                    serving.setDaemon(true);
                    serving.start();
                } catch (IOException closed) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return listener.getLocalPort();
    }

    private static void serve(Socket s, int good, String then) {
        try {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int i = 0; ; i++) {
                for (String line = KeepAliveLoad.line(in); line != null && !line.isEmpty(); line = KeepAliveLoad.line(in)) {
                    // the request head
                }
                if (i < good) {
                    out.write(OK.getBytes(StandardCharsets.US_ASCII));
                    continue;
                }
                switch (then) {
                    case "status line, then EOF" -> {
                        out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
                        s.close();
                        return;
                    }
                    case "half the body, then EOF" -> {
                        out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf".getBytes(StandardCharsets.US_ASCII));
                        s.close();
                        return;
                    }
                    case "503" -> out.write("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    default -> { // "never answer": hold the connection open, read nothing more
                        return;
                    }
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    @Test
    void anEndOfStreamInsideTheResponseIsAFailedRequestAndTheClientGoesOn() throws Exception {
        int port = server(3, "status line, then EOF");
        KeepAliveLoad load = new KeepAliveLoad(port, 2, 2_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> load.failed.get() >= 4);
        load.close();
        assertThat(load.failures).containsOnlyKeys("read: IOException: connection closed inside the response head");
        // Each failure made its thread reconnect, so the threads lived on: more connections than threads.
        assertThat(load.connects.get()).isGreaterThan(2);
        assertThat(load.sent.get()).isEqualTo(load.ok.get() + load.failed.get());
    }

    @Test
    void aBodyCutShortAndABadStatusAreFailures() throws Exception {
        KeepAliveLoad cut = new KeepAliveLoad(server(1, "half the body, then EOF"), 1, 2_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> cut.failed.get() >= 2);
        cut.close();
        assertThat(cut.failures).containsOnlyKeys("read: IOException: connection closed inside the body of HTTP/1.1 200 OK");

        KeepAliveLoad busy = new KeepAliveLoad(server(1, "503"), 1, 2_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> busy.failed.get() >= 2);
        busy.close();
        assertThat(busy.failuresOf(KeepAliveLoad.STATUS)).isEqualTo(busy.failed.get());
        assertThat(busy.sent.get()).isEqualTo(busy.ok.get() + busy.failed.get());
    }

    /** The case a lost reload or handover produces: requests that hang as the load stops are failures, not forgotten. */
    @Test
    void requestsStillUnansweredWhenTheLoadStopsAreCountedAsFailedAtTheReadTimeout() throws Exception {
        int port = server(5, "never answer");
        KeepAliveLoad load = new KeepAliveLoad(port, 3, 2_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> load.ok.get() >= 15);
        long started = System.nanoTime();
        load.close();
        assertThat(load.failures).containsOnlyKeys("read: SocketTimeoutException: Read timed out");
        assertThat(load.failed.get()).isEqualTo(3);
        assertThat(load.ok.get()).isEqualTo(15);
        assertThat(load.sent.get()).isEqualTo(18);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void nobodyListeningIsAConnectFailureForEveryRequest() throws Exception {
        int port = RunningMaster.freePort();
        KeepAliveLoad load = new KeepAliveLoad(port, 2, 1_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> load.failed.get() >= 4);
        load.close();
        assertThat(load.failuresOf(KeepAliveLoad.CONNECT)).isEqualTo(load.failed.get());
        assertThat(load.ok.get()).isZero();
        assertThat(load.sent.get()).isEqualTo(load.failed.get());
    }
}
