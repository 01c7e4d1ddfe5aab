package io.masterwork.posix;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;

/** Sockets the JDK cannot make for us: socketpairs, Unix datagrams, listeners whose fd we own. */
final class SocketSupport {
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 02000000;
    static final int SOCK_NONBLOCK = 04000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_PASSCRED = 16;
    private static final int SO_PEERCRED = 17;
    private static final int SO_ACCEPTCONN = 30;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** sizeof(sun_path). */
    private static final int UNIX_PATH_MAX = 108;

    private final Native nat;

    SocketSupport(Native nat) {
        this.nat = nat;
    }

    int[] socketpair(SocketType type) {
        int[] fds = new int[2];
        if (nat.libc.socketpair(AF_UNIX, type.value | SOCK_CLOEXEC, 0, fds) < 0) {
            throw nat.failure("socketpair", "AF_UNIX, " + type);
        }
        return fds;
    }

    int unixDatagramSocket() {
        int fd = nat.libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw nat.failure("socket", "AF_UNIX, SOCK_DGRAM");
        }
        return fd;
    }

    void sendTo(int fd, String path, ByteBuffer data) {
        Pointer address = nat.allocate(2 + UNIX_PATH_MAX);
        int addressLength = writeUnixAddress(address, path);
        int length = data.remaining();
        long base = nat.addressOf(data, true);
        while (true) {
            long sent = nat.libc.sendto(fd, nat.wrap(base), length, MSG_NOSIGNAL, address, addressLength);
            if (sent >= 0) {
                data.position(data.position() + (int) sent);
                return;
            }
            if (nat.errno() != Errno.EINTR) {
                throw nat.failure("sendto", "fd " + fd + " to " + path);
            }
        }
    }

    void bindUnix(int fd, String path) {
        Pointer address = nat.allocate(2 + UNIX_PATH_MAX);
        int addressLength = writeUnixAddress(address, path);
        if (nat.libc.bind(fd, address, addressLength) < 0) {
            throw nat.failure("bind", "fd " + fd + " to " + path);
        }
    }

    /** struct sockaddr_un for a path or, with a leading '@', an abstract name; returns its length. */
    private static int writeUnixAddress(Pointer address, String path) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("empty Unix socket path");
        }
        boolean abstractName = path.charAt(0) == '@';
        byte[] name = (abstractName ? path.substring(1) : path).getBytes(StandardCharsets.UTF_8);
        // An abstract name is a leading NUL plus the bytes, no terminator; a path is NUL-terminated.
        int pathBytes = name.length + 1;
        if (pathBytes > UNIX_PATH_MAX) {
            throw new IllegalArgumentException("Unix socket path longer than " + (UNIX_PATH_MAX - 1) + " bytes: " + path);
        }
        address.putShort(0, (short) AF_UNIX);
        address.put(abstractName ? 3 : 2, name, 0, name.length);
        return 2 + pathBytes;
    }

    boolean isListeningSocket(int fd) {
        Pointer value = nat.allocate(4);
        Pointer length = nat.allocate(4);
        length.putInt(0, 4);
        if (nat.libc.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, value, length) < 0) {
            int errno = nat.errno();
            if (errno == Errno.ENOTSOCK || errno == Errno.ENOPROTOOPT) {
                return false;
            }
            throw nat.failure("getsockopt", errno, "SO_ACCEPTCONN on fd " + fd);
        }
        return value.getInt(0) != 0;
    }

    Credentials peerCredentials(int fd) {
        Pointer ucred = nat.allocate(12);
        Pointer length = nat.allocate(4);
        length.putInt(0, 12);
        if (nat.libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ucred, length) < 0) {
            throw nat.failure("getsockopt", "SO_PEERCRED on fd " + fd);
        }
        return new Credentials(ucred.getInt(0), ucred.getInt(4), ucred.getInt(8));
    }

    /** SO_PASSCRED: every datagram received carries its sender's credentials (SCM_CREDENTIALS). */
    void passCredentials(int fd) {
        Pointer one = nat.allocate(4);
        one.putInt(0, 1);
        if (nat.libc.setsockopt(fd, SOL_SOCKET, SO_PASSCRED, one, 4) < 0) {
            throw nat.failure("setsockopt", "SO_PASSCRED on fd " + fd);
        }
    }

    int listenUnix(String path, int backlog) {
        return listenUnix(path, backlog, -1);
    }

    /**
     * With {@code mode} >= 0 the socket's inode gets the mode before bind(2): Linux creates the socket file
     * with the socket inode's mode (less the umask), so the file never exists with a wider mode, not even
     * between bind and a chmod.
     */
    int listenUnix(String path, int backlog, int mode) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("empty Unix socket path");
        }
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        for (byte b : name) {
            if (b == 0) {
                throw new IllegalArgumentException("NUL character in Unix socket path: " + path);
            }
        }
        if (name.length + 1 > UNIX_PATH_MAX) {
            throw new IllegalArgumentException("Unix socket path longer than " + (UNIX_PATH_MAX - 1) + " bytes: " + path);
        }
        int fd = nat.libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw nat.failure("socket", "AF_UNIX, SOCK_STREAM for " + path);
        }
        try {
            if (mode >= 0 && nat.libc.fchmod(fd, mode) < 0) {
                throw nat.failure("fchmod", "socket for " + path + " to " + Integer.toOctalString(mode));
            }
            Pointer address = nat.allocate(2 + UNIX_PATH_MAX);
            address.putShort(0, (short) AF_UNIX);
            address.put(2, name, 0, name.length);
            if (nat.libc.bind(fd, address, 2 + name.length + 1) < 0) {
                throw nat.failure("bind", path);
            }
            if (nat.libc.listen(fd, backlog) < 0) {
                throw nat.failure("listen", path);
            }
            return fd;
        } catch (RuntimeException e) {
            nat.libc.close(fd);
            throw e;
        }
    }

    int accept(int fd) {
        while (true) {
            int client = nat.libc.accept4(fd, null, null, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (client >= 0) {
                return client;
            }
            int errno = nat.errno();
            if (errno == Errno.EAGAIN) {
                return -1;
            }
            // A signal, or a client that gave up before we took it: neither is the listener's fault.
            if (errno != Errno.EINTR && errno != Errno.ECONNABORTED) {
                throw nat.failure("accept4", errno, "fd " + fd);
            }
        }
    }

    void chmod(String path, int mode) {
        if (nat.libc.chmod(path, mode) < 0) {
            throw nat.failure("chmod", path + " to " + Integer.toOctalString(mode));
        }
    }

    int listenTcp(InetSocketAddress address, int backlog) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved listen address: " + address);
        }
        InetAddress ip = address.getAddress();
        boolean v6 = ip instanceof Inet6Address;
        int fd = nat.libc.socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw nat.failure("socket", "TCP for " + address);
        }
        try {
            setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
            if (v6) {
                setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
            }
            Pointer sockaddr = nat.allocate(28);
            int length = writeSockaddr(sockaddr, ip, address.getPort());
            if (nat.libc.bind(fd, sockaddr, length) < 0) {
                throw nat.failure("bind", address.toString());
            }
            if (nat.libc.listen(fd, backlog) < 0) {
                throw nat.failure("listen", address.toString());
            }
            return fd;
        } catch (RuntimeException e) {
            nat.libc.close(fd);
            throw e;
        }
    }

    InetSocketAddress localAddress(int fd) {
        Pointer sockaddr = nat.allocate(128);
        Pointer length = nat.allocate(4);
        length.putInt(0, 128);
        if (nat.libc.getsockname(fd, sockaddr, length) < 0) {
            throw nat.failure("getsockname", "fd " + fd);
        }
        int family = sockaddr.getShort(0) & 0xffff;
        int port = ((sockaddr.getByte(2) & 0xff) << 8) | (sockaddr.getByte(3) & 0xff);
        byte[] ip;
        if (family == AF_INET) {
            ip = new byte[4];
            sockaddr.get(4, ip, 0, 4);
        } else if (family == AF_INET6) {
            ip = new byte[16];
            sockaddr.get(8, ip, 0, 16);
        } else {
            throw new IllegalArgumentException("fd " + fd + " is not an IPv4/IPv6 socket (address family " + family + ")");
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("impossible address length " + ip.length, e);
        }
    }

    private void setIntOption(int fd, int level, int option, int value, String name) {
        Pointer v = nat.allocate(4);
        v.putInt(0, value);
        if (nat.libc.setsockopt(fd, level, option, v, 4) < 0) {
            throw nat.failure("setsockopt", name + " on fd " + fd);
        }
    }

    /** struct sockaddr_in / sockaddr_in6 with the port in network order; returns its length. */
    private static int writeSockaddr(Pointer sockaddr, InetAddress ip, int port) {
        byte[] bytes = ip.getAddress();
        if (ip instanceof Inet4Address) {
            sockaddr.putShort(0, (short) AF_INET);
            sockaddr.putByte(2, (byte) (port >>> 8));
            sockaddr.putByte(3, (byte) port);
            sockaddr.put(4, bytes, 0, 4);
            return 16;
        }
        sockaddr.putShort(0, (short) AF_INET6);
        sockaddr.putByte(2, (byte) (port >>> 8));
        sockaddr.putByte(3, (byte) port);
        sockaddr.put(8, bytes, 0, 16);
        sockaddr.putInt(24, ((Inet6Address) ip).getScopeId());
        return 28;
    }
}
