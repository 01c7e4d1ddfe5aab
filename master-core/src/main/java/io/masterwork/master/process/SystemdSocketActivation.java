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
 * 3 .. 3+LISTEN_FDS-1 are listening sockets bound by systemd. The master's re-execution at start keeps
 * both the pid and the descriptors, so the check holds in the final image.
 */
public final class SystemdSocketActivation implements InheritedListeners {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    static final int FIRST_FD = 3;

    private final Posix posix;
    private final Map<String, String> environment;

    @Inject
    public SystemdSocketActivation(Posix posix) {
        this(posix, System.getenv());
    }

    SystemdSocketActivation(Posix posix, Map<String, String> environment) {
        this.posix = posix;
        this.environment = environment;
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
            log.info("LISTEN_FDS is meant for process {}, not this one; ignored", pid);
            return sockets;
        }
        int n;
        try {
            n = Integer.parseInt(count.trim());
        } catch (NumberFormatException e) {
            log.error("LISTEN_FDS=\"{}\" is not a number; ignored", count);
            return sockets;
        }
        for (int fd = FIRST_FD; fd < FIRST_FD + n; fd++) {
            try {
                InetSocketAddress address = posix.localAddress(fd);
                sockets.put(address, fd);
                log.info("systemd passed a listening socket for {} (fd {})", address, fd);
            } catch (PosixException | IllegalArgumentException e) {
                log.error("systemd passed fd {}, which is not a TCP listening socket ({}); closed", fd, e.getMessage());
                posix.closeQuietly(fd);
            }
        }
        return sockets;
    }
}
