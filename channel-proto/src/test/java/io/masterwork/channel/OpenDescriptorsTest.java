package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;

import org.junit.jupiter.api.Test;

/** The leak detector of the fuzz and channel tests sees a leak (so their "equal counts" can fail). */
class OpenDescriptorsTest {

    @Test
    void countingSeesDescriptorsComeAndGo() {
        Posix posix = NativePosix.get();
        OpenDescriptors.settle();
        long before = OpenDescriptors.count();
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        assertThat(OpenDescriptors.count()).isEqualTo(before + 2);
        assertThat(OpenDescriptors.list()).containsKeys(pair[0], pair[1]);
        assertThat(OpenDescriptors.list().get(pair[0])).startsWith("socket:");
        posix.close(pair[0]);
        posix.close(pair[1]);
        assertThat(OpenDescriptors.count()).isEqualTo(before);
    }
}
