package io.masterwork.worker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;

/**
 * The body of {@code /_bytes/N}: N bytes produced chunk by chunk, only as fast as the client takes
 * them (RequestHandler's writer asks for the next chunk once the socket took the last), so a long
 * response costs no memory and can be held open across a shutdown or a reload. Byte i is
 * {@code 'a' + i % 26}, so a client can check what it got.
 */
final class ByteStream implements ChunkedInput<ByteBuf> {
    static final int CHUNK = 16 * 1024;

    private final long length;
    private long produced;

    ByteStream(long length) {
        this.length = length;
    }

    static byte byteAt(long offset) {
        return (byte) ('a' + (int) (offset % 26));
    }

    @Override
    public boolean isEndOfInput() {
        return produced >= length;
    }

    @Override
    public void close() {
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) {
        if (isEndOfInput()) {
            return null;
        }
        int size = (int) Math.min(CHUNK, length - produced);
        ByteBuf chunk = allocator.buffer(size);
        for (int i = 0; i < size; i++) {
            chunk.writeByte(byteAt(produced + i));
        }
        produced += size;
        return chunk;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public long progress() {
        return produced;
    }
}
