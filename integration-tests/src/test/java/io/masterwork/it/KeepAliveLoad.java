package io.masterwork.it;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keep-alive HTTP load on raw sockets that sees every failure: a refused connect, a connection closed
 * or reset under a request, a non-200 answer. A response with {@code Connection: close} is the server
 * ending keep-alive properly: the client reconnects, which is not a failure.
 */
final class KeepAliveLoad implements AutoCloseable {
    private static final byte[] REQUEST =
            "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    final AtomicLong ok = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong connects = new AtomicLong();
    final ConcurrentHashMap<String, AtomicLong> failures = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final int port;

    KeepAliveLoad(int port, int connections) {
        this.port = port;
        for (int i = 0; i < connections; i++) {
            Thread t = new Thread(this::loop, "load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void loop() {
        while (running.get()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                s.setSoTimeout(10_000);
                s.setTcpNoDelay(true);
                connects.incrementAndGet();
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                boolean keepAlive = true;
                while (running.get() && keepAlive) {
                    out.write(REQUEST);
                    out.flush();
                    keepAlive = readResponse(in);
                }
            } catch (IOException e) {
                fail(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }

    /** One response; returns whether the connection may carry another request. */
    private boolean readResponse(InputStream in) throws IOException {
        String statusLine = line(in);
        if (statusLine == null) {
            throw new IOException("connection closed before the response");
        }
        int contentLength = -1;
        boolean close = false;
        String header;
        while (!(header = line(in)).isEmpty()) {
            String lower = header.toLowerCase();
            if (lower.startsWith("content-length:")) {
                contentLength = Integer.parseInt(lower.substring(15).trim());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        if (contentLength < 0) {
            throw new IOException("response without Content-Length: " + statusLine);
        }
        in.readNBytes(contentLength);
        if (statusLine.contains(" 200 ")) {
            ok.incrementAndGet();
        } else {
            fail("status " + statusLine);
        }
        return !close;
    }

    /** One CRLF- (or LF-) terminated line; null at a clean end of stream. */
    static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        if (sb.length() == 0) {
            return null;
        }
        throw new IOException("connection closed inside a line");
    }

    private void fail(String why) {
        if (running.get()) {
            failed.incrementAndGet();
            failures.computeIfAbsent(why, k -> new AtomicLong()).incrementAndGet();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(15_000);
        }
    }
}
