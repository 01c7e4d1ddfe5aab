package io.masterwork.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Unix socket inode -> its peer's inode, from ss(8): which descriptors are two ends of one socketpair. */
final class UnixSockets {
    private UnixSockets() {
    }

    static Map<Long, Long> peers() {
        try {
            Process p = new ProcessBuilder("ss", "-x", "-a", "-n").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            Map<Long, Long> peers = new HashMap<>();
            for (String line : out.split("\n")) {
                String[] f = line.trim().split("\\s+");
                // Netid State Recv-Q Send-Q Local-Address Port Peer-Address Port
                // Channels and inboxes are SOCK_SEQPACKET: the JVM's own unix sockets are not of interest.
                if (f.length >= 8 && f[0].equals("u_seq")) {
                    try {
                        peers.put(Long.parseLong(f[5]), Long.parseLong(f[7]));
                    } catch (NumberFormatException ignored) {
                        // a named socket: not a socketpair end
                    }
                }
            }
            return peers;
        } catch (IOException e) {
            throw new IllegalStateException("ss(8) is needed (Debian: iproute2)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** "socket:[123]" -> 123, anything else -> -1. */
    static long inode(String link) {
        if (link != null && link.startsWith("socket:[")) {
            return Long.parseLong(link.substring(8, link.length() - 1));
        }
        return -1;
    }
}
