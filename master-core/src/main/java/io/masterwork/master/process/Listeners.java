package io.masterwork.master.process;

import io.masterwork.posix.Posix;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening sockets, owned by the master for its whole life (nginx's {@code cycle->listening}).
 * Workers get copies at spawn; the kernel's accept queue lives as long as the master's copy, so a
 * dying worker never makes a client see a refused connection. A reload keeps the socket of every
 * address still configured (the same descriptor: its accept queue is never dropped).
 */
public final class Listeners {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    /** nginx's default backlog on Linux. */
    static final int BACKLOG = 511;

    private final Posix posix;
    private final Map<InetSocketAddress, Integer> fdByAddress = new LinkedHashMap<>();

    Listeners(Posix posix) {
        this.posix = posix;
    }

    /**
     * Makes every address of {@code wanted} listened on: kept ones keep their descriptor, new ones are
     * bound. All or nothing: when one cannot be bound, what this call opened is closed and it rethrows.
     * Returns the descriptors in the order of {@code wanted}. Addresses no longer wanted stay open until
     * {@link #retainOnly}.
     */
    List<Integer> openAll(List<InetSocketAddress> wanted) {
        List<InetSocketAddress> opened = new ArrayList<>();
        try {
            for (InetSocketAddress address : wanted) {
                if (!fdByAddress.containsKey(address)) {
                    fdByAddress.put(address, posix.listenTcp(address, BACKLOG));
                    opened.add(address);
                }
            }
        } catch (RuntimeException e) {
            for (InetSocketAddress address : opened) {
                posix.closeQuietly(fdByAddress.remove(address));
            }
            throw e;
        }
        List<Integer> fds = new ArrayList<>();
        wanted.forEach(a -> fds.add(fdByAddress.get(a)));
        return fds;
    }

    /**
     * Takes over sockets that were bound by someone else (systemd, an old master), already close-on-exec as
     * {@link InheritedListeners#take} promises; only those whose address
     * is in {@code wanted} are kept, the others are closed. Returns the addresses adopted.
     */
    List<InetSocketAddress> adopt(Map<InetSocketAddress, Integer> inherited, List<InetSocketAddress> wanted) {
        List<InetSocketAddress> adopted = new ArrayList<>();
        inherited.forEach((address, fd) -> {
            if (wanted.contains(address) && !fdByAddress.containsKey(address)) {
                fdByAddress.put(address, fd);
                adopted.add(address);
            } else {
                posix.closeQuietly(fd);
            }
        });
        return adopted;
    }

    /**
     * At start: the sockets handed over (systemd, an old master) adopted first, then every other address of
     * {@code wanted} bound; the descriptors in the order of {@code wanted}.
     */
    List<Integer> openAtStart(Map<InetSocketAddress, Integer> inherited, List<InetSocketAddress> wanted) {
        for (InetSocketAddress address : adopt(inherited, wanted)) {
            log.info("using the inherited listening socket for {}", address);
        }
        if (inherited.size() > fdByAddress.size()) {
            log.warn("{} inherited listening socket(s) not named by \"listen\" were closed", inherited.size() - fdByAddress.size());
        }
        List<Integer> fds = openAll(wanted);
        fdByAddress.forEach((address, fd) -> log.info("listening on {} (fd {})", posix.localAddress(fd), fd));
        return fds;
    }

    /** Closes (in the master) every listener not in {@code keep}; workers that hold copies close theirs on QUIT. */
    void retainOnly(List<InetSocketAddress> keep) {
        for (var it = fdByAddress.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!keep.contains(entry.getKey())) {
                posix.closeQuietly(entry.getValue());
                it.remove();
            }
        }
    }

    public Map<InetSocketAddress, Integer> byAddress() {
        return Collections.unmodifiableMap(fdByAddress);
    }

    void closeAll() {
        fdByAddress.values().forEach(posix::closeQuietly);
        fdByAddress.clear();
    }
}
