package io.masterwork.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.masterwork.api.MovedConnection;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The HANDOVER payload: what a moved connection carries besides its socket. */
class ConnectionRecordTest {

    @Test
    void aRecordRoundTrips() {
        MovedConnection moved = new MovedConnection("http/1.1", "GET / HT".getBytes(StandardCharsets.US_ASCII),
                new byte[] {0, 0, 0, 7});
        byte[] bytes = ConnectionRecord.encode(moved);
        assertThat(bytes.length).isEqualTo(moved.size());
        assertThat(ConnectionRecord.decode(bytes)).isEqualTo(moved);
        MovedConnection empty = new MovedConnection("websocket", new byte[0], new byte[0]);
        assertThat(ConnectionRecord.decode(ConnectionRecord.encode(empty))).isEqualTo(empty);
    }

    @Test
    void malformedRecordsAreRefused() {
        byte[] good = ConnectionRecord.encode(new MovedConnection("http/1.1", new byte[] {1, 2, 3}, new byte[0]));
        byte[] version = good.clone();
        version[0] = 2;
        assertThatThrownBy(() -> ConnectionRecord.decode(version)).hasMessageContaining("version");
        byte[] unreadTooLong = good.clone();
        unreadTooLong[2 + 8] = 9;
        assertThatThrownBy(() -> ConnectionRecord.decode(unreadTooLong)).hasMessageContaining("unread");
        assertThatThrownBy(() -> ConnectionRecord.decode(Arrays.copyOf(good, 5))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConnectionRecord.decode(new byte[] {1})).isInstanceOf(IllegalArgumentException.class);
        byte[] badName = good.clone();
        badName[3] = 0x01;
        assertThatThrownBy(() -> ConnectionRecord.decode(badName)).hasMessageContaining("printable");
    }

    @Test
    void theRecordBoundsItsParts() {
        assertThatThrownBy(() -> new MovedConnection("", new byte[0], new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MovedConnection("x".repeat(33), new byte[0], new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new MovedConnection("http/1.1", new byte[5000], new byte[0]).size())
                .isGreaterThan(MovedConnection.MAX_SIZE);
    }
}
