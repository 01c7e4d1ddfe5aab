package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** sd_listen_fds(3) on real descriptors of this JVM (SystemdIT passes them at fd 3 to a real master). */
class SystemdSocketActivationTest {
    private final Posix posix = NativePosix.get();

    private int listener() {
        return posix.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    }

    private Map<String, String> env(String fds, String pid) {
        return Map.of("LISTEN_FDS", fds, "LISTEN_PID", pid);
    }

    private String me() {
        return Integer.toString(posix.getpid());
    }

    @Test
    void aListeningSocketForThisProcessIsTakenByItsAddressAndMadeCloseOnExec() {
        int fd = listener();
        try {
            posix.setCloseOnExec(fd, false);
            InetSocketAddress address = posix.localAddress(fd);
            Map<InetSocketAddress, Integer> taken = new SystemdSocketActivation(posix,
                    Map.of("LISTEN_FDS", "1", "LISTEN_PID", me(), "LISTEN_FDNAMES", "web"), fd).take();
            assertThat(taken).containsExactly(Map.entry(address, fd));
            assertThat(posix.isCloseOnExec(fd)).isTrue();
        } finally {
            posix.closeQuietly(fd);
        }
    }

    @Test
    void descriptorsMeantForAnotherProcessAreLeftAlone() {
        int fd = listener();
        try {
            posix.setCloseOnExec(fd, false);
            assertThat(new SystemdSocketActivation(posix, env("1", Integer.toString(posix.getpid() + 1)), fd).take()).isEmpty();
            assertThat(posix.isListeningSocket(fd)).isTrue();
            assertThat(posix.isCloseOnExec(fd)).isFalse();
        } finally {
            posix.closeQuietly(fd);
        }
    }

    @Test
    void noEnvironmentOrABadCountTakesNothingAndClosesNothing() {
        int fd = listener();
        try {
            assertThat(new SystemdSocketActivation(posix, Map.of(), fd).take()).isEmpty();
            assertThat(new SystemdSocketActivation(posix, Map.of("LISTEN_FDS", "1"), fd).take()).isEmpty();
            for (String bad : new String[] {"one", "-1", "99999", ""}) {
                assertThat(new SystemdSocketActivation(posix, env(bad, me()), fd).take()).as(bad).isEmpty();
            }
            assertThat(new SystemdSocketActivation(posix, env("0", me()), fd).take()).isEmpty();
            assertThat(posix.isListeningSocket(fd)).isTrue();
        } finally {
            posix.closeQuietly(fd);
        }
    }

    @Test
    void aSocketThatIsNotAListeningStreamSocketIsClosed() {
        int datagram = posix.unixDatagramSocket();
        int[] pipe = posix.pipe();
        try {
            assertThat(new SystemdSocketActivation(posix, env("1", me()), datagram).take()).isEmpty();
            assertThat(posix.openDescriptors()).doesNotContain(datagram);
            assertThat(new SystemdSocketActivation(posix, env("1", me()), pipe[0]).take()).isEmpty();
            assertThat(posix.openDescriptors()).doesNotContain(pipe[0]);
        } finally {
            posix.closeQuietly(pipe[1]);
        }
    }

    @Test
    void aWrongNumberOfNamesDoesNotStopTheSocketsBeingTaken() {
        int fd = listener();
        try {
            Map<InetSocketAddress, Integer> taken = new SystemdSocketActivation(posix,
                    Map.of("LISTEN_FDS", "1", "LISTEN_PID", me(), "LISTEN_FDNAMES", "a:b"), fd).take();
            assertThat(taken).containsValue(fd);
        } finally {
            posix.closeQuietly(fd);
        }
    }
}
