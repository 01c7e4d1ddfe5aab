package io.masterwork.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A plain HTTP/1.1 client on a raw socket: it sees every failure (no silent retries). */
public final class Http {
    public record Response(int status, String headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private Http() {
    }

    public static Response get(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return read(s.getInputStream());
        }
    }

    public static Response post(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return read(s.getInputStream());
        }
    }

    /** Reads one response to a Connection: close request: headers, then the body until EOF. */
    public static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        byte[] raw = all.toByteArray();
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new IOException("no complete response: " + text);
        }
        String head = text.substring(0, end);
        int status = Integer.parseInt(head.split(" ")[1]);
        byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        if (head.toLowerCase().contains("transfer-encoding: chunked")) {
            body = dechunk(body);
        }
        return new Response(status, head, body);
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < chunked.length) {
            int lineEnd = i;
            while (chunked[lineEnd] != '\r') {
                lineEnd++;
            }
            int size = Integer.parseInt(new String(chunked, i, lineEnd - i, StandardCharsets.US_ASCII).split(";")[0].trim(), 16);
            if (size == 0) {
                break;
            }
            out.write(chunked, lineEnd + 2, size);
            i = lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    /** A client with a small receive window, set before connecting (set after, TCP stalls on the shrunk window). */
    public static Socket smallWindowSocket(int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(receiveBuffer);
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        return s;
    }
}
