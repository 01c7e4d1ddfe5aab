package io.masterwork.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** listenUnix, accept and chmod: what the master's control socket is built from. */
class UnixListenerTest {
    private final Posix posix = NativePosix.get();

    @TempDir
    Path dir;

    @Test
    void aJdkClientConnectsAndTheAcceptedSocketIsNonBlockingCloseOnExecWithTheClientsCredentials() throws Exception {
        Path path = dir.resolve("control.sock");
        int listener = posix.listenUnix(path.toString(), 8);
        try {
            assertThat(posix.isCloseOnExec(listener)).isTrue();
            assertThat(posix.isNonBlocking(listener)).isFalse();
            posix.setNonBlocking(listener, true);
            assertThat(posix.accept(listener)).as("nothing pending").isEqualTo(-1);

            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                client.connect(UnixDomainSocketAddress.of(path));
                int accepted = posix.accept(listener);
                try {
                    assertThat(accepted).isGreaterThanOrEqualTo(0);
                    assertThat(posix.isNonBlocking(accepted)).isTrue();
                    assertThat(posix.isCloseOnExec(accepted)).isTrue();
                    Credentials peer = posix.peerCredentials(accepted);
                    assertThat(peer.pid()).isEqualTo(posix.getpid());
                    assertThat(peer.uid()).isEqualTo(posix.geteuid());

                    client.write(ByteBuffer.wrap("status\n".getBytes(StandardCharsets.US_ASCII)));
                    ByteBuffer in = ByteBuffer.allocate(64);
                    // A Unix stream write is in the peer's receive queue when write returns.
                    assertThat(posix.read(accepted, in)).isEqualTo(7);
                    assertThat(new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII)).isEqualTo("status\n");
                    assertThat(posix.read(accepted, ByteBuffer.allocate(8))).as("nothing more: EAGAIN").isEqualTo(-1);

                    posix.write(accepted, ByteBuffer.wrap("ok\n".getBytes(StandardCharsets.US_ASCII)));
                    ByteBuffer answer = ByteBuffer.allocate(8);
                    client.read(answer);
                    assertThat(new String(answer.array(), 0, answer.position(), StandardCharsets.US_ASCII)).isEqualTo("ok\n");
                } finally {
                    posix.closeQuietly(accepted);
                }
            }
        } finally {
            posix.close(listener);
        }
    }

    @Test
    void chmodSetsTheSocketFilesMode() throws Exception {
        Path path = dir.resolve("mode.sock");
        int listener = posix.listenUnix(path.toString(), 1);
        try {
            posix.chmod(path.toString(), 0600);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
            posix.chmod(path.toString(), 0660);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-rw----");
        } finally {
            posix.close(listener);
        }
        assertThatThrownBy(() -> posix.chmod(dir.resolve("missing").toString(), 0600))
                .isInstanceOf(PosixException.class).hasMessageContaining("chmod").hasMessageContaining("ENOENT")
                .hasMessageContaining("missing");
    }

    @Test
    void anExistingFileIsNotReplaced() throws Exception {
        Path path = dir.resolve("taken.sock");
        int first = posix.listenUnix(path.toString(), 1);
        try {
            assertThatThrownBy(() -> posix.listenUnix(path.toString(), 1))
                    .isInstanceOf(PosixException.class).hasMessageContaining("bind").hasMessageContaining("EADDRINUSE");
        } finally {
            posix.close(first);
        }
        // Closing a listener leaves its file behind: a stale socket, still EADDRINUSE until unlinked.
        assertThat(Files.exists(path)).isTrue();
        assertThatThrownBy(() -> posix.listenUnix(path.toString(), 1)).hasMessageContaining("EADDRINUSE");
        Files.delete(path);
        posix.close(posix.listenUnix(path.toString(), 1));
    }

    @Test
    void badPathsAreRefusedWithTheReason() {
        String tooLong = dir.resolve("x".repeat(120)).toString();
        assertThatThrownBy(() -> posix.listenUnix(tooLong, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than 107 bytes");
        assertThatThrownBy(() -> posix.listenUnix(dir.resolve("no/such/dir.sock").toString(), 1))
                .isInstanceOf(PosixException.class).hasMessageContaining("ENOENT");
        assertThatThrownBy(() -> posix.accept(-1)).isInstanceOf(PosixException.class).hasMessageContaining("EBADF");
    }
}
