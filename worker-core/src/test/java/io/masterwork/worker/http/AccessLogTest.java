package io.masterwork.worker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
    @TempDir
    Path dir;

    @Test
    void aRegularFileIsCreatedAndAppendedTo() throws IOException {
        Path file = dir.resolve("logs/access.log");
        try (AccessLog log = AccessLog.open(file)) {
            log.write(new InetSocketAddress("127.0.0.1", 1234), "GET / HTTP/1.1", 200, 5, null, "curl");
        }
        assertThat(Files.readString(file)).startsWith("127.0.0.1 - - [").contains("\"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"");
    }

    /** A spare rehearses its application with the access log on /dev/null: refused, the rehearsal was skipped. */
    @Test
    void devNullIsAccepted() throws IOException {
        try (AccessLog log = AccessLog.open(Path.of("/dev/null"))) {
            log.write(new InetSocketAddress("127.0.0.1", 1234), "GET / HTTP/1.1", 200, 5, null, null);
        }
    }

    @Test
    void aFifoIsRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("access.log");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();
        assertThatThrownBy(() -> AccessLog.open(fifo)).isInstanceOf(IOException.class)
                .hasMessageContaining("a FIFO, socket or block device");
    }

    @Test
    void aSymbolicLinkIsRefused() throws IOException {
        Path target = Files.createFile(dir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(dir.resolve("access.log"), target);
        assertThatThrownBy(() -> AccessLog.open(link)).isInstanceOf(IOException.class)
                .hasMessageContaining("a symbolic link");
    }
}
