package io.masterwork.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The calls a root master needs to touch files a worker could have replaced (issue 23): open that refuses a
 * symbolic link and does not block on a FIFO, fstat to see what was opened, fchown/fchmod of that descriptor
 * only, a control socket that never exists with a wider mode, and datagram sender credentials (systemd's way).
 */
class SafeFileCallsTest {
    private static final int LOG_FLAGS = OpenFlags.WRONLY | OpenFlags.APPEND | OpenFlags.CREAT
            | OpenFlags.NOFOLLOW | OpenFlags.NONBLOCK;
    private final Posix posix = NativePosix.get();

    @TempDir
    Path dir;

    @Test
    void noFollowRefusesASymbolicLinkAndLeavesItsTargetAlone() throws Exception {
        Path target = Files.writeString(dir.resolve("target"), "precious\n");
        Path link = Files.createSymbolicLink(dir.resolve("error.log"), target);
        assertThatThrownBy(() -> posix.open(link.toString(), LOG_FLAGS, 0644))
                .isInstanceOf(PosixException.class).hasMessageContaining("ELOOP");
        assertThat(Files.readString(target)).isEqualTo("precious\n");
    }

    @Test
    void nonBlockingOpenOfAFifoWithoutReaderFailsAtOnceAndFstatNamesWhatWasOpened() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        long start = System.nanoTime();
        assertThatThrownBy(() -> posix.open(fifo.toString(), LOG_FLAGS, 0644))
                .isInstanceOf(PosixException.class).hasMessageContaining("ENXIO");
        assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
        // With a reader, the open succeeds: fstat tells it is no regular file.
        int reader = posix.open(fifo.toString(), OpenFlags.RDONLY | OpenFlags.NONBLOCK, 0);
        int writer = posix.open(fifo.toString(), LOG_FLAGS, 0644);
        try {
            FileStatus status = posix.fstat(writer);
            assertThat(status.isRegularFile()).isFalse();
            assertThat(status.kind()).isEqualTo("FIFO");
        } finally {
            posix.close(writer);
            posix.close(reader);
        }
    }

    @Test
    void fstatFchownAndFchmodActOnTheOpenFileNotOnWhatThePathNamesLater() throws Exception {
        Path file = dir.resolve("access.log");
        int fd = posix.open(file.toString(), LOG_FLAGS, 0600);
        try {
            Path moved = dir.resolve("access.log.1");
            Files.move(file, moved);
            Path other = Files.writeString(dir.resolve("access.log"), "someone else's\n");
            posix.fchmod(fd, 0640);
            int uid = posix.geteuid() == 0 ? 65534 : posix.geteuid();
            posix.fchown(fd, uid, -1);
            FileStatus status = posix.fstat(fd);
            assertThat(status.isRegularFile()).isTrue();
            assertThat(status.links()).isEqualTo(1);
            assertThat(status.permissions()).isEqualTo(0640);
            assertThat(status.uid()).isEqualTo(uid);
            assertThat(status.inode()).isEqualTo(Files.getAttribute(moved, "unix:ino"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(moved))).isEqualTo("rw-r-----");
            assertThat(Files.getAttribute(other, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(posix.geteuid());
        } finally {
            posix.close(fd);
        }
    }

    @Test
    void aControlSocketIsBornWithItsModeWhateverTheUmask() throws Exception {
        Path path = dir.resolve("control.sock");
        int previous = posix.umask(0);
        int fd;
        try {
            fd = posix.listenUnix(path.toString(), 4, 0600);
        } finally {
            posix.umask(previous);
        }
        try {
            // No chmod was called: bind(2) itself created the file with the socket's mode.
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
        } finally {
            posix.close(fd);
        }
    }

    @Test
    void aDatagramCarriesItsSendersCredentials() throws Exception {
        Path path = dir.resolve("notify");
        int receiver = posix.unixDatagramSocket();
        int sender = posix.unixDatagramSocket();
        try {
            posix.bindUnix(receiver, path.toString());
            posix.passCredentials(receiver);
            posix.setNonBlocking(receiver, true);
            assertThat(posix.receiveWithCredentials(receiver, ByteBuffer.allocate(64))).as("nothing yet").isNull();
            posix.sendTo(sender, path.toString(), ByteBuffer.wrap("READY=1".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(64);
            SenderCredentials got = posix.receiveWithCredentials(receiver, in);
            assertThat(got.bytes()).isEqualTo(7);
            assertThat(new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII)).isEqualTo("READY=1");
            assertThat(got.sender()).isEqualTo(new Credentials(posix.getpid(), posix.geteuid(), posix.getgid()));
        } finally {
            posix.close(sender);
            posix.close(receiver);
        }
    }

    @Test
    void capabilitiesAreThoseProcShows() throws Exception {
        long[] sets = posix.capabilities();
        String status = Files.readString(Path.of("/proc/self/status"));
        assertThat(sets[0]).isEqualTo(Long.parseUnsignedLong(field(status, "CapEff"), 16));
        assertThat(sets[1]).isEqualTo(Long.parseUnsignedLong(field(status, "CapPrm"), 16));
        assertThat(posix.noNewPrivileges()).isEqualTo(field(status, "NoNewPrivs").equals("1"));
    }

    @Test
    void aPidfdSignalsTheProcessItWasOpenedFor() throws Exception {
        Process child = new ProcessBuilder("sleep", "30").start();
        int pidfd = posix.pidfdOpen((int) child.pid());
        try {
            posix.pidfdSendSignal(pidfd, Signal.TERM);
            assertThat(child.waitFor()).isEqualTo(128 + 15);
            // The process is gone: its pidfd does not reach whoever gets the pid next.
            assertThatThrownBy(() -> posix.pidfdSendSignal(pidfd, Signal.TERM)).hasMessageContaining("ESRCH");
        } finally {
            posix.close(pidfd);
            child.destroyForcibly();
        }
    }

    @Test
    void theGroupListStartsWithTheGroupAskedFor() {
        UserInfo root = posix.lookupUser("root");
        assertThat(posix.groupList("root", 65534)[0]).isEqualTo(65534);
        assertThat(posix.groupList("root", root.gid())).contains(root.gid());
    }

    private static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        throw new AssertionError("no " + name + " in /proc/self/status");
    }
}
