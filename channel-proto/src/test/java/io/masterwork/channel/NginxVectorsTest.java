package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every frame a real nginx 1.22.1 master wrote (captured with strace, carried in src/test/resources) decodes to the same command,
 * pid, slot and fd, and encodes back to the same 32 bytes.
 */
class NginxVectorsTest {

    private static final String FILE = "nginx-1.22.1-channel-frames.tsv";

    record Row(int line, byte[] bytes, String command, int pid, long slot, int fd, int scmRightsFd) {
    }

    private static List<Row> rows;

    @BeforeAll
    static void readVectors() throws IOException {
        // Carried in the repository (src/test/resources/nginx-vectors/README.md says how they were captured).
        String resource = "/nginx-vectors/" + FILE;
        List<String> lines;
        try (InputStream in = NginxVectorsTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + resource + " is missing from the class path");
            }
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#") || line.startsWith("frame_hex")) {
                continue;
            }
            String[] cols = line.split("\t");
            if (cols.length != 7) {
                throw new IllegalStateException(resource + ":" + (i + 1) + ": expected 7 columns, got " + cols.length);
            }
            rows.add(new Row(i + 1, HexFormat.of().parseHex(cols[0]), cols[1], Integer.parseInt(cols[2]),
                    Long.parseLong(cols[3]), Integer.parseInt(cols[4]),
                    cols[5].equals("-") ? -1 : Integer.parseInt(cols[5])));
        }
    }

    @Test
    void theCaptureHoldsAll39Frames() {
        assertThat(rows).hasSize(39);
        assertThat(rows).extracting(Row::command)
                .contains("OPEN_CHANNEL", "CLOSE_CHANNEL", "QUIT", "TERMINATE", "REOPEN");
    }

    @Test
    void everyNginxFrameDecodesToTheSameFields() throws FrameException {
        for (Row row : rows) {
            ChannelFrame frame = FrameCodec.decode(ByteBuffer.wrap(row.bytes()), row.scmRightsFd());
            String where = "line " + row.line();
            assertThat(frame.command().name()).as(where).isEqualTo(row.command());
            assertThat(frame.pid()).as(where).isEqualTo(row.pid());
            assertThat(frame.slot()).as(where).isEqualTo(row.slot());
            assertThat(frame.fd()).as(where).isEqualTo(row.fd());
            assertThat(frame.payloadLength()).as(where).isZero();
        }
    }

    @Test
    void everyNginxFrameEncodesBackToTheSameBytes() throws FrameException {
        for (Row row : rows) {
            ChannelFrame frame = FrameCodec.decode(ByteBuffer.wrap(row.bytes()), row.scmRightsFd());
            ByteBuffer encoded = FrameCodec.encode(frame);
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            assertThat(HexFormat.of().formatHex(bytes)).as("line " + row.line())
                    .isEqualTo(HexFormat.of().formatHex(row.bytes()));
        }
    }

    @Test
    void theFactoriesProduceNginxsBytes() throws FrameException {
        for (Row row : rows) {
            ChannelFrame expected = switch (row.command()) {
                case "OPEN_CHANNEL" -> ChannelFrame.openChannel(row.pid(), row.slot(), row.fd());
                case "CLOSE_CHANNEL" -> ChannelFrame.closeChannel(row.pid(), row.slot());
                case "QUIT" -> ChannelFrame.quit();
                case "TERMINATE" -> ChannelFrame.terminate();
                case "REOPEN" -> ChannelFrame.reopen();
                default -> throw new AssertionError("line " + row.line() + ": unexpected command " + row.command());
            };
            assertThat(FrameCodec.encode(expected)).as("line " + row.line()).isEqualTo(ByteBuffer.wrap(row.bytes()));
        }
    }
}
