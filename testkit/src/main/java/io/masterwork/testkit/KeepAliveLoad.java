package io.masterwork.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keep-alive HTTP load on raw sockets that accounts for every request it sets out to send: each one ends
 * answered with 200 ({@link #ok}) or failed ({@link #failed}: a refused or timed-out connect, a connection
 * closed or reset under it, no answer within {@link #READ_TIMEOUT_MILLIS}, a non-200 answer, or anything that
 * goes wrong in this client itself), so that {@code sent == ok + failed} once the load is closed. A response
 * with {@code Connection: close} is the server ending keep-alive properly: the client reconnects, which is
 * not a failure.
 *
 * <p>{@link #close()} stops sending new requests and waits for the ones in flight: a request the server never
 * answers fails at the read timeout, so a hang in the last seconds of a test (how a lost handover or a lost
 * reload request shows) is counted, not forgotten. A load thread still alive after that fails the test.
 */
public final class KeepAliveLoad implements AutoCloseable {
    /** How long a sent request may wait for its answer before it counts as failed. */
    public static final int READ_TIMEOUT_MILLIS = 10_000;
    public static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    /** The failure kinds, the start of every key of {@link #failures}. */
    public static final String CONNECT = "connect: ";
    public static final String WRITE = "write: ";
    public static final String READ = "read: ";
    public static final String STATUS = "status: ";
    public static final String CLIENT = "client: ";

    private static final byte[] REQUEST =
            "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Requests set out to send, a failed connect for one included. */
    public final AtomicLong sent = new AtomicLong();
    public final AtomicLong ok = new AtomicLong();
    public final AtomicLong failed = new AtomicLong();
    public final AtomicLong connects = new AtomicLong();
    /** "kind: what happened" -> how many times. */
    public final ConcurrentHashMap<String, AtomicLong> failures = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    /** Per load thread: the local port of its connection, 0 while it has none. */
    private final AtomicIntegerArray localPorts;
    private final int port;
    private final int readTimeoutMillis;
    private volatile Throwable firstClientError;

    public KeepAliveLoad(int port, int connections) {
        this(port, connections, READ_TIMEOUT_MILLIS);
    }

    public KeepAliveLoad(int port, int connections, int readTimeoutMillis) {
        this.port = port;
        this.readTimeoutMillis = readTimeoutMillis;
        this.localPorts = new AtomicIntegerArray(connections);
        for (int i = 0; i < connections; i++) {
            int index = i;
            Thread t = new Thread(() -> loop(index), "load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** The local ports of the connections open right now (a thread between two connections has none). */
    public List<Integer> localPorts() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < localPorts.length(); i++) {
            int p = localPorts.get(i);
            if (p != 0) {
                out.add(p);
            }
        }
        return out;
    }

    public int connections() {
        return threads.size();
    }

    /** Failed requests whose key starts with {@code kind} ({@link #CONNECT}, {@link #READ}, ...). */
    public long failuresOf(String kind) {
        return failures.entrySet().stream().filter(e -> e.getKey().startsWith(kind)).mapToLong(e -> e.getValue().get()).sum();
    }

    private void loop(int index) {
        Socket socket = null;
        InputStream in = null;
        OutputStream out = null;
        while (running.get()) {
            sent.incrementAndGet(); // from here this request ends as ok or failed, whatever happens
            String phase = CONNECT;
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.connect(new InetSocketAddress("127.0.0.1", port), CONNECT_TIMEOUT_MILLIS);
                    socket.setSoTimeout(readTimeoutMillis);
                    socket.setTcpNoDelay(true);
                    connects.incrementAndGet();
                    localPorts.set(index, socket.getLocalPort());
                    in = new BufferedInputStream(socket.getInputStream());
                    out = socket.getOutputStream();
                }
                phase = WRITE;
                out.write(REQUEST);
                out.flush();
                phase = READ;
                if (!readResponse(in)) {
                    localPorts.set(index, 0);
                    closeQuietly(socket);
                    socket = null;
                }
            } catch (Throwable e) { // an Error or a bug in this client is a failed request too, never a silent end
                fail(phase + e.getClass().getSimpleName() + ": " + e.getMessage());
                if (!(e instanceof IOException)) {
                    firstClientError = firstClientError == null ? e : firstClientError;
                }
                localPorts.set(index, 0);
                closeQuietly(socket);
                socket = null;
                if (phase.equals(CONNECT)) {
                    pause(10); // nobody listens: do not spin
                }
            }
        }
        closeQuietly(socket);
    }

    /** One response; returns whether the connection may carry another request. A non-200 answer is a failure. */
    private boolean readResponse(InputStream in) throws IOException {
        String statusLine = line(in);
        if (statusLine == null) {
            throw new IOException("connection closed before the response");
        }
        int contentLength = -1;
        boolean close = false;
        for (String header = headerLine(in); !header.isEmpty(); header = headerLine(in)) {
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
        if (in.readNBytes(contentLength).length != contentLength) {
            throw new IOException("connection closed inside the body of " + statusLine);
        }
        if (statusLine.contains(" 200 ")) {
            ok.incrementAndGet();
        } else {
            fail(STATUS + statusLine);
        }
        return !close;
    }

    /** One CRLF- (or LF-) terminated line; null at a clean end of stream before it. */
    public static String line(InputStream in) throws IOException {
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

    /** A header line: end of stream there is a response cut short, not the end of the head. */
    public static String headerLine(InputStream in) throws IOException {
        String header = line(in);
        if (header == null) {
            throw new IOException("connection closed inside the response head");
        }
        return header;
    }

    private void fail(String why) {
        failed.incrementAndGet();
        failures.computeIfAbsent(why, k -> new AtomicLong()).incrementAndGet();
    }

    /** "ok N, failed N {why=N, ...}, sent N, connects N" */
    @Override
    public String toString() {
        Map<String, Long> byKind = new TreeMap<>();
        failures.forEach((k, v) -> byKind.put(k, v.get()));
        return "ok " + ok.get() + ", failed " + failed.get() + " " + byKind + ", sent " + sent.get()
                + ", connects " + connects.get();
    }

    /**
     * Stops the load and waits for every request in flight (at most the read timeout, plus a connect's): each
     * is then answered or failed. Fails the test if a load thread outlives that, or if a request is unaccounted for.
     */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(readTimeoutMillis + CONNECT_TIMEOUT_MILLIS + 3_000);
        List<String> alive = new ArrayList<>();
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                alive.add(t.getName() + " at " + Arrays.toString(t.getStackTrace()));
            }
        }
        if (!alive.isEmpty()) {
            throw new AssertionError("load threads still running after the read timeout: " + alive + "; " + this);
        }
        if (sent.get() != ok.get() + failed.get()) {
            throw new AssertionError("requests unaccounted for: " + this);
        }
        if (firstClientError != null) {
            System.err.println("KeepAliveLoad: an error in the client itself, counted as failed: " + firstClientError);
            firstClientError.printStackTrace();
        }
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing is all that is left to do
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
