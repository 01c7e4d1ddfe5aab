package io.masterwork.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/** A WebSocket client on a raw socket (RFC 6455): it sees every frame, close frames included, and never reconnects. */
public final class WsClient implements AutoCloseable {
    public record Frame(int opcode, boolean fin, boolean rsv1, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    public static final int TEXT = 1;
    public static final int CLOSE = 8;

    public final Socket socket;
    public final String handshakeResponse;
    private final InputStream in;
    private final OutputStream out;

    public WsClient(int port, String extensions) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(15_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        String request = "GET /_ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n"
                + (extensions == null ? "" : "Sec-WebSocket-Extensions: " + extensions + "\r\n") + "\r\n";
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed during the handshake: " + head);
            }
            head.append((char) c);
        }
        handshakeResponse = head.toString();
        if (!handshakeResponse.startsWith("HTTP/1.1 101")) {
            throw new IOException("no upgrade: " + handshakeResponse);
        }
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    /** One masked text frame (uncompressed, which permessage-deflate allows too). */
    public void sendText(String text) throws IOException {
        send(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    public void send(int opcode, byte[] payload) throws IOException {
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
        frame.write(0x80 | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xFF);
        }
        frame.write(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    /** The next frame from the server; IOException on end of stream. */
    public Frame read() throws IOException {
        int b0 = in.read();
        int b1 = in.read();
        if (b0 < 0 || b1 < 0) {
            throw new IOException("end of stream before a frame");
        }
        long length = b1 & 0x7F;
        if (length == 126) {
            length = (in.read() << 8) | in.read();
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | in.read();
            }
        }
        byte[] payload = in.readNBytes((int) length);
        if (payload.length != length) {
            throw new IOException("end of stream inside a frame");
        }
        return new Frame(b0 & 0x0F, (b0 & 0x80) != 0, (b0 & 0x40) != 0, payload);
    }

    public int readByte() throws IOException {
        return in.read();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
