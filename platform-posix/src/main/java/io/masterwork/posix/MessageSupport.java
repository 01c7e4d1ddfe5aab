package io.masterwork.posix;

import java.nio.ByteBuffer;
import java.util.Arrays;

import jnr.ffi.Pointer;

/**
 * sendmsg/recvmsg of one message with at most one descriptor (SCM_RIGHTS), with struct msghdr,
 * struct iovec and struct cmsghdr laid out by hand (LP64 Linux).
 *
 * <p>The kernel rewrites msg_controllen and msg_flags on every receive, so every field of the
 * header and the whole control area are written afresh before each call; nothing from a previous
 * call can leak into the next one.
 */
final class MessageSupport {
    // struct msghdr
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    private static final int MSGHDR_BYTES = 56;
    // struct iovec, placed right after the msghdr in the scratch block
    private static final int IOV_OFFSET = 64;
    // the control area, after the iovec
    private static final int CONTROL_OFFSET = 128;
    /** Room for several descriptors: more than one received is detected and all are closed. */
    private static final int CONTROL_BYTES = 512;
    // struct cmsghdr
    private static final int CMSG_HEADER_BYTES = 16;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int SCM_CREDENTIALS = 2;

    private static final int MSG_CTRUNC = 0x08;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;

    private final Native nat;

    MessageSupport(Native nat) {
        this.nat = nat;
    }

    int send(int fd, ByteBuffer data, int passFd) {
        int length = data.remaining();
        long base = nat.addressOf(data, true);
        Pointer block = nat.scratch().fixed;
        long controlLength = 0;
        if (passFd >= 0) {
            // CMSG_SPACE(sizeof(int)) = 24; CMSG_LEN(sizeof(int)) = 20.
            block.setMemory(CONTROL_OFFSET, 24, (byte) 0);
            block.putLong(CONTROL_OFFSET, CMSG_HEADER_BYTES + Integer.BYTES);
            block.putInt(CONTROL_OFFSET + 8, SOL_SOCKET);
            block.putInt(CONTROL_OFFSET + 12, SCM_RIGHTS);
            block.putInt(CONTROL_OFFSET + CMSG_HEADER_BYTES, passFd);
            controlLength = 24;
        }
        while (true) {
            prepareHeader(block, base, length, controlLength);
            long sent = nat.libc.sendmsg(fd, block, MSG_NOSIGNAL);
            if (sent >= 0) {
                data.position(data.position() + (int) sent);
                return (int) sent;
            }
            int errno = nat.errno();
            if (errno == Errno.EINTR) {
                continue;
            }
            if (errno == Errno.EAGAIN) {
                return -1;
            }
            throw nat.failure("sendmsg", errno, "fd " + fd + ", " + length + " bytes"
                    + (passFd >= 0 ? ", passing fd " + passFd : ""));
        }
    }

    ReceivedMessage receive(int fd, ByteBuffer dst) {
        int room = dst.remaining();
        long base = nat.addressOf(dst, false);
        Pointer block = nat.scratch().fixed;
        long received;
        while (true) {
            block.setMemory(CONTROL_OFFSET, CONTROL_BYTES, (byte) 0);
            prepareHeader(block, base, room, CONTROL_BYTES);
            received = nat.libc.recvmsg(fd, block, MSG_CMSG_CLOEXEC);
            if (received >= 0) {
                break;
            }
            int errno = nat.errno();
            if (errno == Errno.EINTR) {
                continue;
            }
            if (errno == Errno.EAGAIN) {
                return null;
            }
            throw nat.failure("recvmsg", errno, "fd " + fd);
        }
        int flags = block.getInt(MSG_FLAGS);
        long controlLength = block.getLong(MSG_CONTROLLEN);
        int receivedFd = -1;
        int descriptorCount = 0;
        int[] extra = null;
        long offset = 0;
        while (offset + CMSG_HEADER_BYTES <= controlLength) {
            long cmsgLength = block.getLong(CONTROL_OFFSET + offset);
            if (cmsgLength < CMSG_HEADER_BYTES || offset + cmsgLength > controlLength) {
                break;
            }
            int level = block.getInt(CONTROL_OFFSET + offset + 8);
            int type = block.getInt(CONTROL_OFFSET + offset + 12);
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                int count = (int) ((cmsgLength - CMSG_HEADER_BYTES) / Integer.BYTES);
                for (int i = 0; i < count; i++) {
                    int got = block.getInt(CONTROL_OFFSET + offset + CMSG_HEADER_BYTES + (long) i * Integer.BYTES);
                    if (descriptorCount == 0) {
                        receivedFd = got;
                    } else {
                        extra = extra == null ? new int[1] : Arrays.copyOf(extra, extra.length + 1);
                        extra[extra.length - 1] = got;
                    }
                    descriptorCount++;
                }
            }
            offset += (cmsgLength + 7) & ~7L;
        }
        nat.completeRead(dst, (int) received);
        boolean truncated = (flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || descriptorCount > 1;
        if (truncated) {
            // Nobody may end up owning a descriptor that came with a message we cannot accept whole.
            if (receivedFd >= 0) {
                nat.libc.close(receivedFd);
            }
            if (extra != null) {
                for (int e : extra) {
                    nat.libc.close(e);
                }
            }
            receivedFd = -1;
        }
        return new ReceivedMessage((int) received, receivedFd, truncated);
    }

    /**
     * recvmsg(2) of one datagram on a socket with SO_PASSCRED, returning the kernel's SCM_CREDENTIALS of its
     * sender (pid 0, uid -1, gid -1 when none came); null on EAGAIN.
     */
    SenderCredentials receiveWithCredentials(int fd, ByteBuffer dst) {
        int room = dst.remaining();
        long base = nat.addressOf(dst, false);
        Pointer block = nat.scratch().fixed;
        long received;
        while (true) {
            block.setMemory(CONTROL_OFFSET, CONTROL_BYTES, (byte) 0);
            prepareHeader(block, base, room, CONTROL_BYTES);
            received = nat.libc.recvmsg(fd, block, MSG_CMSG_CLOEXEC);
            if (received >= 0) {
                break;
            }
            int errno = nat.errno();
            if (errno == Errno.EINTR) {
                continue;
            }
            if (errno == Errno.EAGAIN) {
                return null;
            }
            throw nat.failure("recvmsg", errno, "fd " + fd);
        }
        long controlLength = block.getLong(MSG_CONTROLLEN);
        Credentials sender = new Credentials(0, -1, -1);
        long offset = 0;
        while (offset + CMSG_HEADER_BYTES <= controlLength) {
            long cmsgLength = block.getLong(CONTROL_OFFSET + offset);
            if (cmsgLength < CMSG_HEADER_BYTES || offset + cmsgLength > controlLength) {
                break;
            }
            int level = block.getInt(CONTROL_OFFSET + offset + 8);
            int type = block.getInt(CONTROL_OFFSET + offset + 12);
            if (level == SOL_SOCKET && type == SCM_CREDENTIALS && cmsgLength >= CMSG_HEADER_BYTES + 12) {
                long at = CONTROL_OFFSET + offset + CMSG_HEADER_BYTES;
                sender = new Credentials(block.getInt(at), block.getInt(at + 4), block.getInt(at + 8));
            } else if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                // nobody asked for descriptors here: never keep one
                for (long at = CMSG_HEADER_BYTES; at + Integer.BYTES <= cmsgLength; at += Integer.BYTES) {
                    nat.libc.close(block.getInt(CONTROL_OFFSET + offset + at));
                }
            }
            offset += (cmsgLength + 7) & ~7L;
        }
        nat.completeRead(dst, (int) received);
        return new SenderCredentials((int) received, sender);
    }

    private static void prepareHeader(Pointer block, long base, int length, long controlLength) {
        block.setMemory(0, MSGHDR_BYTES, (byte) 0);
        block.putAddress(IOV_OFFSET, base);
        block.putLong(IOV_OFFSET + 8, length);
        block.putAddress(MSG_NAME, 0L);
        block.putInt(MSG_NAMELEN, 0);
        block.putAddress(MSG_IOV, block.address() + IOV_OFFSET);
        block.putLong(MSG_IOVLEN, 1);
        block.putAddress(MSG_CONTROL, controlLength == 0 ? 0L : block.address() + CONTROL_OFFSET);
        block.putLong(MSG_CONTROLLEN, controlLength);
    }
}
