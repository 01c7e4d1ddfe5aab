package io.masterwork.posix;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Test helper: what a child wrote into a descriptor, read until EOF within a bound. */
final class Pipes {
    private Pipes() {
    }

    static String readToEof(Posix posix, int fd, Duration bound) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            if (posix.pollReadable(new int[] {fd}, 500).isEmpty()) {
                continue;
            }
            buffer.clear();
            int n = posix.read(fd, buffer);
            if (n == 0) {
                return out.toString(StandardCharsets.UTF_8);
            }
            out.write(buffer.array(), 0, n);
        }
        throw new AssertionError("no EOF on fd " + fd + " within " + bound.toSeconds() + " s; got so far: " + out);
    }
}
