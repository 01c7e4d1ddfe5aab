package io.masterwork.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** Whether a connection stands between two requests: what decides that it may move to another worker. */
class HttpBoundaryDecoderTest {

    private final HttpBoundaryDecoder decoder = new HttpBoundaryDecoder(new HttpDecoderConfig());
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder);

    private void feed(String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
        Object decoded;
        while ((decoded = channel.readInbound()) != null) {
            ReferenceCountUtil.release(decoded);
        }
    }

    @Test
    void aWholeRequestLeavesTheDecoderBetweenRequests() {
        assertThat(decoder.betweenRequests()).isTrue();
        feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(decoder.betweenRequests()).isTrue();
        assertThat(decoder.unread()).isEmpty();
    }

    @Test
    void aRequestLineWithoutItsHeadersIsARequestUnderWay() {
        feed("GET / HTTP/1.1\r\nHost:");
        assertThat(decoder.betweenRequests()).isFalse();
        feed(" x\r\n\r\n");
        assertThat(decoder.betweenRequests()).isTrue();
    }

    @Test
    void aBodyNotYetCompleteIsARequestUnderWay() {
        feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
        assertThat(decoder.betweenRequests()).isFalse();
        feed("67890");
        assertThat(decoder.betweenRequests()).isTrue();
    }

    @Test
    void anIncompleteRequestLineIsUnreadBytesThatCanTravel() {
        feed("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next HT");
        assertThat(decoder.betweenRequests()).isTrue();
        assertThat(new String(decoder.unread(), StandardCharsets.ISO_8859_1)).isEqualTo("GET /next HT");
        decoder.moving(true);
        decoder.moved();
        assertThat(decoder.unread()).isEmpty();
        channel.finish();
    }

    @Test
    void blankLinesBetweenRequestsKeepTheBoundary() {
        feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n\r\n");
        assertThat(decoder.betweenRequests()).isTrue();
    }
}
