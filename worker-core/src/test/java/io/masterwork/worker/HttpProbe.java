package io.masterwork.worker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A minimal HTTP/1.x client on a plain socket: the tests need control over every byte and the timing. */
final class HttpProbe implements AutoCloseable {
    record Response(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    final Socket socket;
    final InputStream in;
    final OutputStream out;

    HttpProbe(InetSocketAddress address, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.connect(address, 5000);
        socket.setSoTimeout(readTimeoutMillis);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    static Response get(InetSocketAddress address, String path) throws IOException {
        try (HttpProbe probe = new HttpProbe(address, 10_000)) {
            probe.send("GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
            return probe.read();
        }
    }

    void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads one response with a Content-Length body. */
    Response read() throws IOException {
        return read(Long.MAX_VALUE);
    }

    /** Reads a response to HEAD: headers only, whatever Content-Length says. */
    Response readHead() throws IOException {
        return read(0);
    }

    Response read(long maxBody) throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        String line;
        while ((line = line()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        long length = Long.parseLong(headers.getOrDefault("content-length", "0"));
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] buf = new byte[16384];
        long left = Math.min(length, maxBody);
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("connection closed after " + body.size() + " of " + length + " body bytes");
            }
            body.write(buf, 0, n);
            left -= n;
        }
        return new Response(status, headers, body.toByteArray());
    }

    /** True when the server closed the connection (EOF) within the socket timeout. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String s = line.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            line.write(c);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
