package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** HANDOVER (a connection's descriptor and its state between workers) and RETIRE (the successors). */
class HandoverFramesTest {

    private final Posix posix = NativePosix.get();

    @Test
    void theCodesAreTheReservedOnes() {
        assertThat(Command.HANDOVER.code()).isEqualTo(0x4D57_0006);
        assertThat(Command.RETIRE.code()).isEqualTo(0x4D57_0007);
        assertThat(Command.fromCode(0x4D57_0006L)).isEqualTo(Command.HANDOVER);
        assertThat(Command.fromCode(0x4D57_0007L)).isEqualTo(Command.RETIRE);
        assertThat(Command.fromCode(0x4D57_0008L)).isEqualTo(Command.INIT_FAILED);
        assertThat(Command.fromCode(0x4D57_0009L)).isEqualTo(Command.REPORT);
        assertThat(Command.fromCode(0x4D57_000AL)).isNull();
        assertThat(Command.HANDOVER.carriesDescriptor()).isTrue();
        assertThat(Command.RETIRE.carriesDescriptor()).isFalse();
    }

    @Test
    void aHandoverNeedsADescriptor() {
        assertThatThrownBy(() -> new ChannelFrame(Command.HANDOVER, 1, 1, -1, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        ByteBuffer bytes = FrameCodec.encode(ChannelFrame.handover(10, 2, 7, new byte[] {1, 2}));
        assertThatThrownBy(() -> FrameCodec.decode(bytes, -1))
                .isInstanceOf(FrameException.class)
                .extracting(e -> ((FrameException) e).reason()).isEqualTo(FrameException.Reason.MISSING_DESCRIPTOR);
        ByteBuffer retire = FrameCodec.encode(ChannelFrame.retire(Successors.encode(List.of())));
        assertThatThrownBy(() -> FrameCodec.decode(retire, 9))
                .extracting(e -> ((FrameException) e).reason()).isEqualTo(FrameException.Reason.UNEXPECTED_DESCRIPTOR);
    }

    @Test
    void aHandoverCarriesALiveSocketAndItsStateToTheReceiver() {
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        int[] connection = posix.socketpair(SocketType.STREAM);
        Channel sender = new Channel(posix, pair[0]);
        Channel inbox = new Channel(posix, pair[1]);
        try {
            byte[] state = "http/1.1 unread".getBytes(StandardCharsets.US_ASCII);
            assertThat(sender.send(ChannelFrame.handover(4242, 3, connection[0], state))).isTrue();
            // The sender closes its copy, as a worker does after a move: the socket lives on in the receiver's.
            posix.close(connection[0]);
            ChannelFrame received = inbox.receive().frame();
            assertThat(received.command()).isEqualTo(Command.HANDOVER);
            assertThat(received.pid()).isEqualTo(4242);
            assertThat(received.slot()).isEqualTo(3);
            assertThat(received.payload()).isEqualTo(state);
            assertThat(received.fd()).isNotNegative();
            try {
                ByteBuffer hello = ByteBuffer.allocateDirect(8).put("moved".getBytes(StandardCharsets.US_ASCII)).flip();
                assertThat(posix.write(received.fd(), hello)).isEqualTo(5);
                ByteBuffer got = ByteBuffer.allocateDirect(8);
                assertThat(posix.read(connection[1], got)).isEqualTo(5);
            } finally {
                posix.close(received.fd());
            }
        } finally {
            sender.close();
            inbox.close();
            posix.closeQuietly(connection[1]);
        }
    }

    @Test
    void successorsRoundTripAndMalformedPayloadsAreRefused() throws FrameException {
        List<Successors.Successor> list = List.of(new Successors.Successor(2, 1234), new Successors.Successor(3, 99999));
        assertThat(Successors.decode(Successors.encode(list))).isEqualTo(list);
        assertThat(Successors.decode(Successors.encode(List.of()))).isEmpty();
        byte[] good = Successors.encode(list);
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 1);
        assertThatThrownBy(() -> Successors.decode(cut)).isInstanceOf(FrameException.class);
        assertThatThrownBy(() -> Successors.decode(new byte[2])).isInstanceOf(FrameException.class);
        byte[] zeroPid = Successors.encode(List.of(new Successors.Successor(1, 1)));
        zeroPid[12] = 0;
        assertThatThrownBy(() -> Successors.decode(zeroPid)).isInstanceOf(FrameException.class);
        assertThat(FrameCodec.encodedSize(ChannelFrame.retire(Successors.encode(java.util.Collections.nCopies(1000,
                new Successors.Successor(1, 1)))))).isLessThanOrEqualTo(FrameCodec.MAX_FRAME_SIZE);
    }
}
