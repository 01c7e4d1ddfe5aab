package io.masterwork.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A client that can misbehave within bounds: it writes without blocking (so a test can flood for a fixed time
 * while the server stops reading) and reads only when asked. Speaks just enough WebSocket (RFC 6455) to send
 * masked frames of any size, compressed ones included (RSV1).
 */
public final class RawClient implements AutoCloseable {
    public final SocketChannel channel;
    private final Selector selector;

    public RawClient(int port) throws IOException {
        channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.configureBlocking(false);
        selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    /** GET /_ws with {@code extensions} offered; returns the response head (101 expected). */
    public String upgrade(String extensions) throws IOException {
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        writeFully(("GET /_ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n"
                + (extensions == null ? "" : "Sec-WebSocket-Extensions: " + extensions + "\r\n") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII), 10_000);
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        long deadline = System.currentTimeMillis() + 10_000;
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = readByte(deadline);
            if (b < 0) {
                throw new IOException("closed during the handshake: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** A masked frame, FIN set; {@code rsv1} marks it compressed (permessage-deflate). */
    public static byte[] frame(int opcode, boolean rsv1, byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write(0x80 | (rsv1 ? 0x40 : 0) | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xFF);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) (((long) payload.length) >>> shift) & 0xFF);
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        return frame.toByteArray();
    }

    /** Writes what the socket takes now; returns the bytes written (0 when its buffers are full), -1 when closed. */
    public int offer(ByteBuffer bytes) {
        try {
            return channel.write(bytes);
        } catch (IOException e) {
            return -1;
        }
    }

    public void writeFully(byte[] bytes, long timeoutMillis) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (b.hasRemaining()) {
            if (channel.write(b) == 0) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("the server took " + b.position() + " of " + bytes.length + " bytes in "
                            + timeoutMillis + " ms");
                }
                sleep(1);
            }
        }
    }

    /** The next byte, -1 at end of stream; IOException when nothing came before the deadline. */
    public int readByte(long deadline) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        for (;;) {
            int n;
            try {
                n = channel.read(one);
            } catch (IOException reset) {
                return -1;
            }
            if (n > 0) {
                return one.get(0) & 0xFF;
            }
            if (n < 0) {
                return -1;
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new IOException("nothing to read before the deadline");
            }
            selector.select(left);
            selector.selectedKeys().clear();
        }
    }

    /** The next frame from the server as {opcode, payload...}; the payload's first two bytes are a close code. */
    public WsClient.Frame readFrame(long timeoutMillis) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        int b0 = readByte(deadline);
        int b1 = readByte(deadline);
        if (b0 < 0 || b1 < 0) {
            throw new IOException("end of stream before a frame");
        }
        long length = b1 & 0x7F;
        int extra = length == 126 ? 2 : length == 127 ? 8 : 0;
        if (extra > 0) {
            length = 0;
            for (int i = 0; i < extra; i++) {
                length = (length << 8) | readByte(deadline);
            }
        }
        byte[] payload = new byte[(int) length];
        for (int i = 0; i < length; i++) {
            int b = readByte(deadline);
            if (b < 0) {
                throw new IOException("end of stream inside a frame");
            }
            payload[i] = (byte) b;
        }
        return new WsClient.Frame(b0 & 0x0F, (b0 & 0x80) != 0, (b0 & 0x40) != 0, payload);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
