package io.masterwork.posix;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The loaded {@link LibC} binding and the helpers every *Support class shares: errno to exception,
 * native memory, C string arrays, addresses of direct buffers.
 */
final class Native {
    final LibC libc;
    final Runtime runtime;

    Native() {
        this.libc = LibraryLoader.create(LibC.class).load("c");
        this.runtime = Runtime.getRuntime(libc);
    }

    int errno() {
        return runtime.getLastError();
    }

    /** The exception for the errno the last call on this thread left behind. */
    PosixException failure(String call, String detail) {
        return failure(call, errno(), detail);
    }

    /** The exception for an errno returned as a value (pthread and posix_spawn functions do that). */
    PosixException failure(String call, int errno, String detail) {
        String message = libc.strerror(errno);
        if (detail != null && !detail.isEmpty()) {
            message = message + " [" + detail + "]";
        }
        return new PosixException(call, errno, Errno.name(errno), message);
    }

    /** Zeroed native memory owned by the garbage collector. */
    Pointer allocate(int bytes) {
        return Memory.allocateDirect(runtime, bytes, true);
    }

    /**
     * A NULL-terminated char*[] and its strings in one block of native memory, so that the strings
     * live exactly as long as the returned pointer is reachable.
     */
    Pointer cStringArray(List<String> strings) {
        byte[][] encoded = new byte[strings.size()][];
        int tableBytes = (strings.size() + 1) * Long.BYTES;
        int total = tableBytes;
        for (int i = 0; i < strings.size(); i++) {
            String s = strings.get(i);
            if (s == null) {
                throw new IllegalArgumentException("null entry at index " + i + " of a C string array");
            }
            encoded[i] = s.getBytes(StandardCharsets.UTF_8);
            for (byte b : encoded[i]) {
                if (b == 0) {
                    throw new IllegalArgumentException("NUL character in C string at index " + i + ": " + s);
                }
            }
            total += encoded[i].length + 1;
        }
        Pointer block = allocate(total);
        int offset = tableBytes;
        for (int i = 0; i < encoded.length; i++) {
            block.put(offset, encoded[i], 0, encoded[i].length);
            block.putAddress((long) i * Long.BYTES, block.address() + offset);
            offset += encoded[i].length + 1;
        }
        return block;
    }

    static long directAddress(ByteBuffer buffer) {
        return com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(buffer);
    }

    Pointer wrap(long address) {
        return Pointer.wrap(runtime, address);
    }

    /**
     * Per-thread native memory reused by the calls that run per frame (sendmsg, recvmsg, read,
     * write): a fixed block for structures and a bounce area for heap buffers, which have no
     * stable native address.
     */
    static final class Scratch {
        static final int FIXED_BYTES = 1024;
        final Pointer fixed;
        private final Native nat;
        private Pointer bounce;
        private int bounceSize;

        Scratch(Native nat) {
            this.nat = nat;
            this.fixed = nat.allocate(FIXED_BYTES);
        }

        Pointer bounce(int size) {
            if (bounce == null || bounceSize < size) {
                bounceSize = Math.max(size, 4096);
                bounce = nat.allocate(bounceSize);
            }
            return bounce;
        }
    }

    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(() -> new Scratch(this));

    Scratch scratch() {
        return scratch.get();
    }

    /**
     * The native address at the buffer's position: the buffer itself when direct, else the
     * thread's bounce area (filled from the buffer when {@code copyIn}).
     */
    long addressOf(ByteBuffer buffer, boolean copyIn) {
        if (buffer.isDirect()) {
            return directAddress(buffer) + buffer.position();
        }
        Pointer bounce = scratch().bounce(buffer.remaining());
        if (copyIn) {
            if (buffer.hasArray()) {
                bounce.put(0, buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            } else {
                byte[] copy = new byte[buffer.remaining()];
                buffer.duplicate().get(copy);
                bounce.put(0, copy, 0, copy.length);
            }
        }
        return bounce.address();
    }

    /** After a read into {@link #addressOf}(buffer, false): copies from the bounce area if needed, advances. */
    void completeRead(ByteBuffer buffer, int bytes) {
        if (!buffer.isDirect() && bytes > 0) {
            scratch().bounce(bytes).get(0, buffer.array(), buffer.arrayOffset() + buffer.position(), bytes);
        }
        buffer.position(buffer.position() + bytes);
    }
}
