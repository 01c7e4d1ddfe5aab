package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** REPORT and the STATUS answer's payload: a worker's figures, decoded strictly (PROTOCOL.md section 8). */
class WorkerFiguresTest {
    private static final WorkerFigures SOME = new WorkerFigures(true, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);

    @Test
    void reportIsTheNextExtensionCodeAndCarriesNothing() throws FrameException {
        assertThat(Command.REPORT.code()).isEqualTo(0x4D57_0009);
        assertThat(Command.fromCode(0x4D57_0009L)).isEqualTo(Command.REPORT);
        assertThat(Command.REPORT.carriesDescriptor()).isFalse();
        ChannelFrame report = ChannelFrame.report(4242);
        assertThat(FrameCodec.decode(FrameCodec.encode(report), -1)).isEqualTo(report);
    }

    @Test
    void figuresRoundTripThroughAStatusFrame() throws FrameException {
        ChannelFrame status = ChannelFrame.status(77, 3, SOME.encode());
        ChannelFrame decoded = FrameCodec.decode(FrameCodec.encode(status), -1);
        assertThat(WorkerFigures.decode(decoded.payload())).isEqualTo(SOME);
        WorkerFigures noApplication = new WorkerFigures(false, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6);
        assertThat(WorkerFigures.decode(noApplication.encode())).isEqualTo(noApplication);
    }

    @Test
    void anyOtherLengthIsRefused() {
        byte[] good = SOME.encode();
        for (int length : new int[] {0, 1, 4, good.length - 1, good.length + 1, 4096}) {
            byte[] bad = Arrays.copyOf(good, length);
            assertThatThrownBy(() -> WorkerFigures.decode(bad)).isInstanceOf(FrameException.class)
                    .hasMessageContaining(length + " bytes");
        }
    }

    @Test
    void anotherVersionUnknownFlagsOrANegativeFigureIsRefused() {
        byte[] version = SOME.encode();
        version[0] = 2;
        assertThatThrownBy(() -> WorkerFigures.decode(version)).isInstanceOf(FrameException.class)
                .extracting(e -> ((FrameException) e).reason()).isEqualTo(FrameException.Reason.BAD_VERSION);
        byte[] flags = SOME.encode();
        flags[2] = 3;
        assertThatThrownBy(() -> WorkerFigures.decode(flags)).isInstanceOf(FrameException.class)
                .hasMessageContaining("flags");
        byte[] negative = SOME.encode();
        ByteBuffer.wrap(negative).order(ByteOrder.LITTLE_ENDIAN).putLong(4 + 8 * 5, -1);
        assertThatThrownBy(() -> WorkerFigures.decode(negative)).isInstanceOf(FrameException.class)
                .hasMessageContaining("figure 5 is negative");
        assertThatThrownBy(() -> new WorkerFigures(true, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
