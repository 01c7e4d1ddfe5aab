package io.masterwork.master.process;

import io.masterwork.posix.Posix;
import jakarta.inject.Inject;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every way a master inherits listening sockets: from an old master on a binary upgrade, and from systemd. */
public final class InheritedListenerSources implements InheritedListeners {
    private final Posix posix;
    private final SystemdSocketActivation systemd;

    @Inject
    public InheritedListenerSources(Posix posix, SystemdSocketActivation systemd) {
        this.posix = posix;
        this.systemd = systemd;
    }

    @Override
    public Map<InetSocketAddress, Integer> take() {
        Map<InetSocketAddress, Integer> all = new LinkedHashMap<>(UpgradeHandover.listeners(posix, System.getenv()));
        systemd.take().forEach(all::putIfAbsent);
        return all;
    }
}
