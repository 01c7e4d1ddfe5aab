package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.WsClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Issue 16: an open WebSocket moves to the new generation at a frame boundary: no close frame, no reconnect. */
class WebSocketHandoverIT {

    private static long count(String text, String needle) {
        return text.split(Pattern.quote(needle), -1).length - 1L;
    }

    private static void reload(RunningMaster master, int reloadsSoFar) throws Exception {
        Files.writeString(master.prefix().resolve("conf/masterwork.conf"),
                "listen = \"127.0.0.1:" + master.port() + "\"\nworker_spares = 0\nworker_processes = 2\nworker_shutdown_timeout = 10s\n");
        master.signal("HUP");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> count(master.errorLog(), "reload complete") >= reloadsSoFar);
    }

    @Test
    void aWebSocketEchoesAcrossFiveReloadsWithoutACloseFrame() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            try (WsClient ws = new WsClient(master.port(), null)) {
                int localPort = ws.localPort();
                ws.sendText("hello 0");
                assertThat(ws.read().text()).isEqualTo("hello 0");
                for (int reload = 1; reload <= 5; reload++) {
                    List<Integer> before = master.workers();
                    reload(master, reload);
                    int r = reload;
                    await().atMost(Duration.ofSeconds(20)).until(() -> before.stream().noneMatch(ProcFs::exists));
                    // Only the new generation is alive: whoever echoes now is one of its workers.
                    for (int i = 0; i < 3; i++) {
                        ws.sendText("hello " + r + "." + i);
                        WsClient.Frame echo = ws.read();
                        assertThat(echo.opcode()).as("no close frame").isEqualTo(WsClient.TEXT);
                        assertThat(echo.text()).isEqualTo("hello " + r + "." + i);
                    }
                    assertThat(ws.localPort()).isEqualTo(localPort);
                }
                // A large frame (16-bit length) after all the moves.
                String big = "x".repeat(5000);
                ws.sendText(big);
                assertThat(ws.read().text()).isEqualTo(big);
            }
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":6");
        }
    }

    @Test
    void aWebSocketWithPermessageDeflateEndsWithACloseFrame() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            try (WsClient ws = new WsClient(master.port(), "permessage-deflate; client_max_window_bits")) {
                assertThat(ws.handshakeResponse.toLowerCase()).contains("sec-websocket-extensions: permessage-deflate");
                ws.sendText("compressed context");
                WsClient.Frame echo = ws.read();
                assertThat(echo.opcode()).isEqualTo(WsClient.TEXT);
                assertThat(echo.rsv1()).as("the echo is compressed").isTrue();
                reload(master, 1);
                WsClient.Frame close = ws.read();
                assertThat(close.opcode()).isEqualTo(WsClient.CLOSE);
                assertThat(((close.payload()[0] & 0xFF) << 8) | (close.payload()[1] & 0xFF)).isEqualTo(1001);
            }
        }
    }

    @Test
    void aRequestForTheWebSocketWithoutAnUpgradeIsRefused() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            assertThat(Http.get(master.port(), "/_ws").status()).isEqualTo(400);
        }
    }
}
