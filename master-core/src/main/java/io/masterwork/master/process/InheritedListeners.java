package io.masterwork.master.process;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * Listening sockets this master did not bind itself: systemd's socket activation (LISTEN_FDS), or an old
 * master's on a binary upgrade. The master adopts each whose address its {@code listen} names instead of
 * binding that address again, so the kernel's accept queue is never dropped.
 */
public interface InheritedListeners {
    /**
     * The inherited sockets by their bound address, each now owned by the caller. Called once, at start;
     * an implementation makes them close-on-exec and forgets them.
     */
    Map<InetSocketAddress, Integer> take();
}
