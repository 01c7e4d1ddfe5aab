package io.masterwork.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bindUnix (a notify socket as systemd binds one) and isListeningSocket (what socket activation checks). */
class UnixBindAndListeningSocketTest {
    private final Posix posix = NativePosix.get();

    @Test
    void aDatagramBoundToAPathReceivesWhatSendToSends(@TempDir Path dir) {
        String path = dir.resolve("notify").toString();
        int receiver = posix.unixDatagramSocket();
        int sender = posix.unixDatagramSocket();
        try {
            posix.bindUnix(receiver, path);
            assertThat(Files.exists(Path.of(path))).isTrue();
            posix.sendTo(sender, path, ByteBuffer.wrap("READY=1\nSTATUS=up".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(64);
            assertThat(posix.read(receiver, in)).isEqualTo(17);
            assertThat(new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII)).isEqualTo("READY=1\nSTATUS=up");

            int second = posix.unixDatagramSocket();
            try {
                assertThatThrownBy(() -> posix.bindUnix(second, path))
                        .isInstanceOfSatisfying(PosixException.class, e -> {
                            assertThat(e.call()).isEqualTo("bind");
                            assertThat(e.errnoName()).isEqualTo("EADDRINUSE");
                        });
            } finally {
                posix.close(second);
            }
        } finally {
            posix.close(receiver);
            posix.close(sender);
        }
    }

    @Test
    void anAbstractNameIsBoundWithoutAFile() {
        String name = "@masterwork-bind-test-" + posix.getpid() + "-" + System.nanoTime();
        int receiver = posix.unixDatagramSocket();
        int sender = posix.unixDatagramSocket();
        try {
            posix.bindUnix(receiver, name);
            posix.sendTo(sender, name, ByteBuffer.wrap("WATCHDOG=1".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(64);
            posix.read(receiver, in);
            assertThat(new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII)).isEqualTo("WATCHDOG=1");
        } finally {
            posix.close(receiver);
            posix.close(sender);
        }
    }

    @Test
    void badUnixNamesAreRejectedBeforeAnyCall() {
        int fd = posix.unixDatagramSocket();
        try {
            assertThatThrownBy(() -> posix.bindUnix(fd, "")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> posix.bindUnix(fd, "/" + "x".repeat(200)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than 107");
        } finally {
            posix.close(fd);
        }
    }

    @Test
    void onlyAListeningStreamSocketIsListening() throws Exception {
        int listener = posix.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        int datagram = posix.unixDatagramSocket();
        int[] pipe = posix.pipe();
        int[] pair = posix.socketpair(SocketType.STREAM);
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), posix.localAddress(listener).getPort())) {
            assertThat(client.isConnected()).isTrue();
            assertThat(posix.isListeningSocket(listener)).isTrue();
            assertThat(posix.isListeningSocket(datagram)).isFalse();
            assertThat(posix.isListeningSocket(pair[0])).isFalse();
            assertThat(posix.isListeningSocket(pipe[0])).isFalse();
            assertThatThrownBy(() -> posix.isListeningSocket(-1))
                    .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errnoName()).isEqualTo("EBADF"));
        } finally {
            posix.close(listener);
            posix.close(datagram);
            posix.close(pipe[0]);
            posix.close(pipe[1]);
            posix.close(pair[0]);
            posix.close(pair[1]);
        }
    }
}
