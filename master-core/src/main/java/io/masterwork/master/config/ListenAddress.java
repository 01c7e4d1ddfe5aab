package io.masterwork.master.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * One {@code listen} entry as nginx writes it: {@code "127.0.0.1:8080"}, {@code "[::1]:8080"},
 * {@code "localhost:8080"}, {@code "*:8080"} or a bare {@code "8080"}. A bare port (and {@code *}) means
 * every IPv4 address, as in nginx; IPv6 wildcards are written {@code "[::]:8080"}. Port 0 asks the kernel
 * for a free port (useful in tests).
 */
public final class ListenAddress {

    private ListenAddress() {
    }

    /** Parses and resolves one entry; throws IllegalArgumentException saying what is wrong. */
    public static InetSocketAddress parse(String text) {
        String s = text.trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty listen address (expected \"host:port\", \"[::1]:port\" or \"port\")");
        }
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("invalid listen address \"" + text
                        + "\" (an IPv6 address is written \"[addr]:port\")");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
            if (host.isEmpty()) {
                throw new IllegalArgumentException("invalid listen address \"" + text + "\": empty IPv6 address");
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                host = "*";
                port = s;
            } else {
                host = s.substring(0, colon);
                port = s.substring(colon + 1);
                if (host.contains(":")) {
                    throw new IllegalArgumentException("invalid listen address \"" + text
                            + "\" (write IPv6 addresses in brackets: \"[::1]:8080\")");
                }
                if (host.isEmpty()) {
                    throw new IllegalArgumentException("invalid listen address \"" + text + "\": empty host");
                }
            }
        }
        int portNumber = parsePort(text, port);
        InetAddress address = resolve(text, host, s.startsWith("["));
        return new InetSocketAddress(address, portNumber);
    }

    private static int parsePort(String text, String port) {
        if (!port.matches("\\d{1,5}")) {
            throw new IllegalArgumentException("invalid port in listen address \"" + text + "\"");
        }
        int n = Integer.parseInt(port);
        if (n > 65535) {
            throw new IllegalArgumentException("port " + n + " out of range 0..65535 in listen address \"" + text + "\"");
        }
        return n;
    }

    private static InetAddress resolve(String text, String host, boolean bracketed) {
        try {
            if (host.equals("*")) {
                return InetAddress.getByAddress(new byte[4]);
            }
            if (bracketed) {
                InetAddress a = InetAddress.getByName(host);
                if (!(a instanceof Inet6Address)) {
                    throw new IllegalArgumentException("\"" + host + "\" in brackets is not an IPv6 address in \"" + text + "\"");
                }
                return a;
            }
            InetAddress a = InetAddress.getByName(host);
            if (!(a instanceof Inet4Address) && !(a instanceof Inet6Address)) {
                throw new IllegalArgumentException("unsupported address \"" + host + "\"");
            }
            return a;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host \"" + host + "\" in listen address \"" + text + "\" cannot be resolved");
        }
    }
}
