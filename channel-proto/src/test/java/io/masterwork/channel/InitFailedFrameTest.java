package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** INIT_FAILED: a worker's reason for its exit 2, worker to master, as UTF-8 text cut to the payload bound. */
class InitFailedFrameTest {
    @Test
    void theReasonTravelsAndALongOneIsCut() throws Exception {
        ChannelFrame frame = ChannelFrame.initFailed(42, 3, "/srv/conf/masterwork.conf:7: app.greeting: must not be empty");
        assertThat(frame.command().code()).isEqualTo(0x4D57_0008);
        assertThat(frame.fd()).isEqualTo(-1);
        ChannelFrame decoded = FrameCodec.decode(FrameCodec.encode(frame), -1);
        assertThat(new String(decoded.payload(), StandardCharsets.UTF_8))
                .isEqualTo("/srv/conf/masterwork.conf:7: app.greeting: must not be empty");
        assertThat(decoded.pid()).isEqualTo(42);
        assertThat(ChannelFrame.initFailed(1, 0, "é".repeat(FrameCodec.MAX_PAYLOAD)).payloadLength())
                .isEqualTo(FrameCodec.MAX_PAYLOAD);
    }
}
