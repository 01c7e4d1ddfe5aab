package io.masterwork.worker;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The promotion's check that PROMOTE carries the spare's own configuration, on real memfds. */
class WorkerConfigurationBytesTest {
    private static final Posix POSIX = NativePosix.get();
    private static final byte[] SPARES = "{\"worker_processes\":1,\"http\":{\"body\":\"one\\n\"}}".getBytes(StandardCharsets.UTF_8);

    @Test
    void theSameBytesAreTheSpareOwnConfigurationAndTheDescriptorIsRewound() {
        int fd = POSIX.memfd("same", SPARES);
        try {
            assertThat(WorkerConfiguration.holdsExactly(POSIX, fd, SPARES)).isTrue();
            assertThat(WorkerConfiguration.holdsExactly(POSIX, fd, SPARES)).as("asked again, from offset 0").isTrue();
            assertThat(WorkerConfiguration.readDescriptorBytes(fd)).isEqualTo(SPARES);
        } finally {
            POSIX.closeQuietly(fd);
        }
    }

    @Test
    void anotherContentALongerOrAShorterOneIsNot() {
        String json = new String(SPARES, StandardCharsets.UTF_8);
        for (String other : new String[] {json.replace("one", "two"), json + " ", json.substring(0, json.length() - 1), ""}) {
            int fd = POSIX.memfd("other", other.getBytes(StandardCharsets.UTF_8));
            try {
                assertThat(WorkerConfiguration.holdsExactly(POSIX, fd, SPARES)).as(other).isFalse();
            } finally {
                POSIX.closeQuietly(fd);
            }
        }
    }
}
