package io.masterwork.master.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.master.control.ControlProtocol.Command;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ControlProtocolTest {
    private static ControlProtocol.Request parse(String line) {
        return ControlProtocol.parse(line.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandIsOneWordInAnyCaseWithOptionalCrAndSpaces() {
        for (Command c : Command.values()) {
            if (c == Command.WORKERS) {
                continue;
            }
            assertThat(parse(c.word()).command()).isEqualTo(c);
            assertThat(parse("  " + c.word().toUpperCase() + " \r").command()).isEqualTo(c);
        }
    }

    @Test
    void workersTakesExactlyOneNumber() {
        assertThat(parse("workers 3")).isEqualTo(new ControlProtocol.Request(Command.WORKERS, 3, null));
        assertThat(parse(" WORKERS\t12 \r")).isEqualTo(new ControlProtocol.Request(Command.WORKERS, 12, null));
        for (String bad : new String[] {"workers", "workers -1", "workers 3 4", "workers three", "workers 99999"}) {
            assertThat(parse(bad).command()).as(bad).isNull();
            assertThat(parse(bad).error()).as(bad).startsWith("expected \"workers N\"");
        }
    }

    @Test
    void anEmptyLineIsIgnoredNotAnError() {
        assertThat(parse("").isEmpty()).isTrue();
        assertThat(parse("   \r").isEmpty()).isTrue();
    }

    @Test
    void garbageIsAnErrorThatEchoesItHarmlessly() {
        ControlProtocol.Request r = parse("st\u001b[2Jatus\u0000\u00e9");
        assertThat(r.command()).isNull();
        assertThat(r.error()).startsWith("unknown command \"st\\x1b[2Jatus\\x00\\xe9\"")
                .contains("status, metrics, reload, reopen, quit, stop");
        assertThat(parse("status please").error()).isEqualTo("\"status\" takes no argument");
        String longWord = "x".repeat(500);
        assertThat(parse(longWord).error()).contains("x".repeat(64) + "...\"").doesNotContain("x".repeat(65));
    }

    @Test
    void answersEndWithAnEmptyLineAndNeverSpanMoreLinesThanTheirData() {
        assertThat(ControlProtocol.error("bad\nthing")).isEqualTo("error: bad\\x0athing\n\n");
        assertThat(ControlProtocol.ok("logs reopened")).isEqualTo("ok: logs reopened\n\n");
        assertThat(ControlProtocol.data("{\"a\":1}")).isEqualTo("{\"a\":1}\n\n");
        assertThat(ControlProtocol.data("m 1\n")).isEqualTo("m 1\n\n");
    }

    @Test
    void printableKeepsShortTextAndMarksOnlyRealCuts() {
        assertThat(ControlProtocol.printable("abc", 3)).isEqualTo("abc");
        assertThat(ControlProtocol.printable("abcd", 3)).isEqualTo("abc...");
    }

    @Test
    void aReloadAnswerIsJsonWithOkGenerationAndMessage() {
        assertThat(ControlSocket.reloadAnswer(new io.masterwork.master.process.MasterControl.ReloadOutcome(
                false, 3, "/etc/m.conf:2: \"x\" unknown")))
                .isEqualTo("{\"ok\":false,\"generation\":3,\"message\":\"/etc/m.conf:2: \\\"x\\\" unknown\"}");
    }
}
