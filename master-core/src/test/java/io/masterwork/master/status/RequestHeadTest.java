package io.masterwork.master.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The status page's request heads: what it needs is kept, anything malformed is a 400 with the reason. */
class RequestHeadTest {
    private static RequestHead parse(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        int end = RequestHead.end(bytes, bytes.length);
        assertThat(end).as("a complete head").isEqualTo(bytes.length);
        return RequestHead.parse(bytes, end);
    }

    @Test
    void aHeadEndsAtItsEmptyLineWithOrWithoutCarriageReturns() {
        byte[] partial = "GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(RequestHead.end(partial, partial.length)).isEqualTo(-1);
        assertThat(parse("GET /metrics HTTP/1.0\n\n").path()).isEqualTo("/metrics");
        assertThat(parse("GET /?interval=5 HTTP/1.1\r\nHost: x\r\n\r\n").path()).isEqualTo("/");
    }

    @Test
    void theAuthorizationHeaderIsKeptWhateverItsCase() {
        RequestHead head = parse("GET /status HTTP/1.1\r\nhost: x\r\nAUTHORIZATION: Basic YTpi\r\n\r\n");
        assertThat(head.method()).isEqualTo("GET");
        assertThat(head.authorization()).isEqualTo("Basic YTpi");
        assertThat(parse("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").authorization()).isNull();
    }

    @Test
    void malformedHeadsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> parse("GET /\r\n\r\n")).hasMessage("malformed request line");
        assertThatThrownBy(() -> parse("GET / HTTP/2.0\r\n\r\n")).hasMessage("unsupported protocol version");
        assertThatThrownBy(() -> parse("GET http://x/ HTTP/1.1\r\n\r\n")).hasMessage("the request target must be a path");
        assertThatThrownBy(() -> parse("GET / HTTP/1.1\r\nNo colon\r\n\r\n")).hasMessage("malformed header line");
        assertThatThrownBy(() -> parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n")).hasMessage("malformed header line");
        assertThatThrownBy(() -> parse("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"))
                .hasMessage("the status page takes no request body");
        assertThatThrownBy(() -> parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"))
                .hasMessage("the status page takes no request body");
        assertThatThrownBy(() -> parse("GET / HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n"))
                .hasMessage("more than one Authorization header");
    }
}
