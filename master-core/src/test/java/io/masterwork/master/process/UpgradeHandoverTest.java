package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The hand-over's environment within protocol 1: the upgrade channel is an optional field (issue 29). */
class UpgradeHandoverTest {

    @Test
    void theChannelTravelsAsAnOptionalFieldOfProtocolOne() {
        UpgradeHandover sent = new UpgradeHandover(UpgradeHandover.PROTOCOL, 1234, "0.2.0", 3, 7);
        assertThat(sent.environmentValue()).isEqualTo("protocol=1 pid=1234 version=0.2.0 generation=3 channel=7");
        assertThat(UpgradeHandover.fromEnvironment(Map.of(UpgradeHandover.ENV_UPGRADE, sent.environmentValue())))
                .contains(sent);
    }

    @Test
    void aHandOverFromABuildWithoutTheChannelReadsAsNoChannel() {
        assertThat(UpgradeHandover.fromEnvironment(Map.of(UpgradeHandover.ENV_UPGRADE,
                "protocol=1 pid=1234 version=0.1.0 generation=3")).orElseThrow().channelFd()).isEqualTo(-1);
        assertThat(new UpgradeHandover(1, 1234, "0.1.0", 3, -1).environmentValue()).doesNotContain("channel");
    }

    @Test
    void keysThisBuildDoesNotKnowAreIgnored() {
        assertThat(UpgradeHandover.fromEnvironment(Map.of(UpgradeHandover.ENV_UPGRADE,
                "protocol=1 pid=1234 version=0.3.0 generation=3 channel=9 successor_wait=5")).orElseThrow())
                .isEqualTo(new UpgradeHandover(1, 1234, "0.3.0", 3, 9));
    }
}
