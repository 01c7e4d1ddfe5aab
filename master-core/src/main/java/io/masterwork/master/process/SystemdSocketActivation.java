package io.masterwork.master.process;

import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import jakarta.inject.Inject;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's socket activation (sd_listen_fds(3)): when LISTEN_PID names this process, descriptors
 * 3 .. 3+LISTEN_FDS-1 are listening sockets bound by systemd (LISTEN_FDNAMES, when set, names them:
 * FileDescriptorName= of the .socket unit, logged). The master's re-execution at start keeps both the pid
 * and the descriptors, so the check holds in the final image. Only TCP sockets in the listening state are
 * taken; anything else systemd was told to pass (a datagram socket, a FIFO) is closed with an error naming it.
 */
public final class SystemdSocketActivation implements InheritedListeners {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    static final int FIRST_FD = 3;
    /** A sanity bound: systemd passes a handful; a larger number is a broken environment, not sockets. */
    static final int MAX_FDS = 1024;

    private final Posix posix;
    private final Map<String, String> environment;
    private final int firstFd;

    @Inject
    public SystemdSocketActivation(Posix posix) {
        this(posix, System.getenv(), FIRST_FD);
    }

    /** {@code firstFd} is 3 in real life; tests point it at a descriptor of their own. */
    SystemdSocketActivation(Posix posix, Map<String, String> environment, int firstFd) {
        this.posix = posix;
        this.environment = environment;
        this.firstFd = firstFd;
    }

    @Override
    public Map<InetSocketAddress, Integer> take() {
        Map<InetSocketAddress, Integer> sockets = new LinkedHashMap<>();
        String count = environment.get("LISTEN_FDS");
        String pid = environment.get("LISTEN_PID");
        if (count == null || pid == null) {
            return sockets;
        }
        if (!pid.trim().equals(Integer.toString(posix.getpid()))) {
            log.info("LISTEN_FDS is meant for process {}, not this one ({}); ignored", pid, posix.getpid());
            return sockets;
        }
        int n;
        try {
            n = Integer.parseInt(count.trim());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0 || n > MAX_FDS) {
            log.error("LISTEN_FDS=\"{}\" is not a number of descriptors (0..{}); ignored", count, MAX_FDS);
            return sockets;
        }
        String[] names = names(environment.get("LISTEN_FDNAMES"), n);
        for (int i = 0; i < n; i++) {
            int fd = firstFd + i;
            String name = names[i] == null ? "" : " named \"" + names[i] + "\"";
            try {
                if (!posix.isListeningSocket(fd)) {
                    log.error("systemd passed fd {}{}, which is not a listening stream socket (ListenStream=); closed", fd, name);
                    posix.closeQuietly(fd);
                    continue;
                }
                InetSocketAddress address = posix.localAddress(fd);
                // Ours from now on: never inherited by a worker except through the spawner's explicit map.
                posix.setCloseOnExec(fd, true);
                sockets.put(address, fd);
                log.info("systemd passed a listening socket for {} (fd {}{})", address, fd, name);
            } catch (PosixException | IllegalArgumentException e) {
                log.error("systemd passed fd {}{}, which is not a TCP listening socket ({}); closed", fd, name, e.getMessage());
                posix.closeQuietly(fd);
            }
        }
        return sockets;
    }

    /** LISTEN_FDNAMES is colon-separated, one name per descriptor; a missing or short list names nothing. */
    private static String[] names(String value, int n) {
        String[] names = new String[n];
        if (value == null || value.isEmpty()) {
            return names;
        }
        String[] parts = value.split(":", -1);
        if (parts.length != n) {
            log.warn("LISTEN_FDNAMES has {} names for {} descriptors; names ignored", parts.length, n);
            return names;
        }
        return parts;
    }
}
