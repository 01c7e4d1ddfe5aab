package io.masterwork.testkit.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.masterwork.posix.Errno;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;
import io.masterwork.posix.SocketType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultSpecTest {
    @TempDir
    Path dir;

    private static List<Boolean> fires(String spec, int calls) {
        FaultSpec fault = FaultSpec.parse(spec);
        List<Boolean> out = new ArrayList<>();
        IntStream.range(0, calls).forEach(i -> out.add(fault.fires()));
        return out;
    }

    @Test
    void schedules() {
        assertThat(fires("kill:ESRCH", 3)).containsExactly(true, true, true);
        assertThat(fires("kill:ESRCH:once", 3)).containsExactly(true, false, false);
        assertThat(fires("kill:ESRCH:count=2", 4)).containsExactly(true, true, false, false);
        assertThat(fires("kill:ESRCH:every=3", 6)).containsExactly(false, false, true, false, false, true);
        assertThat(fires("kill:ESRCH:nth=2", 4)).containsExactly(false, true, false, false);
        assertThat(fires("kill:ESRCH:after=2", 4)).containsExactly(false, false, true, true);
    }

    @Test
    void parsingNamesTheCallTheQualifierAndTheErrno() {
        FaultSpec f = FaultSpec.parse("sendmsg.fd:eagain:once");
        assertThat(f.call).isEqualTo("sendmsg");
        assertThat(f.qualifier).isEqualTo("fd");
        assertThat(f.errno).isEqualTo(Errno.EAGAIN);
        assertThat(f.matches("sendmsg", "fd")).isTrue();
        assertThat(f.matches("sendmsg", "nofd")).isFalse();
        assertThat(FaultSpec.parseAll("# comment\nkill:ESRCH ; posix_spawn:ENOMEM:count=2\n\n")).hasSize(2);
        assertThatThrownBy(() -> FaultSpec.parse("kill:ENOPE")).hasMessageContaining("unknown errno ENOPE");
        assertThatThrownBy(() -> FaultSpec.parse("kill:ESRCH:sometimes")).hasMessageContaining("unknown schedule");
        assertThatThrownBy(() -> FaultSpec.parse("kill")).hasMessageContaining("call[.qualifier]:ERRNO");
    }

    @Test
    void aWrappedPosixFailsWhatTheFileNamesAsTheRealCallWouldAndPassesTheRest() throws Exception {
        Path file = dir.resolve("faults");
        Posix posix = FaultInjectingPosix.wrap(NativePosix.get(), file);
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        try {
            posix.setNonBlocking(pair[0], true);
            Files.writeString(file, "sendmsg:EAGAIN:once\nsocketpair:EMFILE\nkill.TERM:ESRCH\n");
            Thread.sleep(50);
            ByteBuffer one = ByteBuffer.allocateDirect(1).put((byte) 1).flip();
            assertThat(posix.sendMessage(pair[0], one, -1)).as("EAGAIN is -1, as documented").isEqualTo(-1);
            assertThat(posix.sendMessage(pair[0], one, -1)).isEqualTo(1);
            assertThatThrownBy(() -> posix.socketpair(SocketType.SEQPACKET)).isInstanceOfSatisfying(PosixException.class,
                    e -> assertThat(e.call() + " " + e.errnoName()).isEqualTo("socketpair EMFILE"));
            assertThatThrownBy(() -> posix.kill(posix.getpid(), Signal.TERM)).isInstanceOf(PosixException.class);
            posix.kill(posix.getpid(), Signal.CONT); // only kill.TERM is armed
            Files.delete(file);
            Thread.sleep(50);
            int[] again = posix.socketpair(SocketType.SEQPACKET); // disarmed once the file is gone
            posix.close(again[0]);
            posix.close(again[1]);
        } finally {
            posix.closeQuietly(pair[0]);
            posix.closeQuietly(pair[1]);
        }
    }
}
