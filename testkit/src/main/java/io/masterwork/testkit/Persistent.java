package io.masterwork.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One persistent HTTP/1.1 connection on a raw socket, kept for a whole test: it never reconnects, so a
 * connection the server closed or reset shows as an IOException (or EOF), never as a silent retry.
 */
public final class Persistent implements AutoCloseable {
    public record Response(String statusLine, String headers, String body) {
        public boolean closes() {
            return headers.toLowerCase().contains("connection: close");
        }
    }

    public final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public Persistent(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(15_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    public void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    public static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    public Response request(String path) throws IOException {
        send(get(path));
        return read();
    }

    /** One response (Content-Length bodies only, as the built-in application writes). */
    public Response read() throws IOException {
        String status = line();
        if (status == null) {
            throw new IOException("connection closed before the response");
        }
        StringBuilder headers = new StringBuilder();
        int length = -1;
        String header;
        while (!(header = KeepAliveLoad.headerLine(in)).isEmpty()) {
            headers.append(header).append("\r\n");
            if (header.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(header.substring(15).trim());
            }
        }
        if (length < 0) {
            throw new IOException("no Content-Length: " + status);
        }
        byte[] body = in.readNBytes(length);
        if (body.length != length) {
            throw new IOException("connection closed inside the body of " + status);
        }
        return new Response(status, headers.toString(), new String(body, StandardCharsets.UTF_8));
    }

    /** -1 when the server closed the connection (FIN); what a graceful end looks like to a client. */
    public int readByte() throws IOException {
        return in.read();
    }

    private String line() throws IOException {
        return KeepAliveLoad.line(in);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
