package io.masterwork.api.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.List;

/**
 * Netty's request decoder, knowing whether it stands between two requests: what a connection must know
 * before it can move to another worker. Netty's decoder keeps a half-parsed request in private state
 * (its request line is consumed before the headers are complete), so "nothing buffered" is not enough;
 * here, any byte consumed after a request's end, other than the blank lines HTTP allows between
 * requests, marks a request under way until the decoder emits its last content.
 *
 * <p>Used in place of {@code HttpServerCodec}'s decoder (pair it with {@code HttpResponseEncoder} in a
 * {@code CombinedChannelDuplexHandler}); {@link HttpHandover} does that for an application. Event loop
 * thread only.
 */
public class HttpBoundaryDecoder extends HttpRequestDecoder {
    private boolean midRequest;
    private boolean movedAway;

    /**
     * A decoder with {@code config}'s limits.
     *
     * @param config the limits: initial line, header size, chunk size
     */
    public HttpBoundaryDecoder(HttpDecoderConfig config) {
        super(config);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        int emitted = out.size();
        int from = buffer.readerIndex();
        super.decode(ctx, buffer, out);
        if (out.size() > emitted) {
            Object last = out.get(out.size() - 1);
            // Identity first: a request without a body ends with the decoder's shared empty last content.
            midRequest = last != LastHttpContent.EMPTY_LAST_CONTENT && !(last instanceof LastHttpContent);
        } else if (buffer.readerIndex() > from && !onlyBlankLines(buffer, from, buffer.readerIndex())) {
            midRequest = true;
        }
    }

    private static boolean onlyBlankLines(ByteBuf buffer, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = buffer.getByte(i);
            if (b != '\r' && b != '\n' && b != ' ' && b != '\t') {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the connection stands between two requests.
     *
     * @return true when the bytes held (see {@link #unread}) are at most the start of the next request
     */
    public boolean betweenRequests() {
        return !midRequest;
    }

    /**
     * Whether nothing of a next request has arrived either: between requests, no byte held.
     *
     * @return true when closing the connection now loses nothing the client sent
     */
    public boolean idle() {
        return !midRequest && !internalBuffer().isReadable();
    }

    /**
     * The bytes read but not yet decoded.
     *
     * @return a copy of them (an incomplete request line, say)
     */
    public byte[] unread() {
        ByteBuf held = internalBuffer();
        byte[] bytes = new byte[held.readableBytes()];
        held.getBytes(held.readerIndex(), bytes);
        return bytes;
    }

    /**
     * The connection is moving with {@link #unread} (true), or stays after all (false). While it moves, the
     * end of input that its close brings decodes nothing: those bytes are the new owner's.
     *
     * @param moving true while a move is under way
     */
    public void moving(boolean moving) {
        movedAway = moving;
    }

    /** The connection moved: the bytes held are the new owner's, never decoded here. */
    public void moved() {
        ByteBuf held = internalBuffer();
        held.skipBytes(held.readableBytes());
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (!movedAway) {
            super.decodeLast(ctx, in, out);
        }
    }
}
