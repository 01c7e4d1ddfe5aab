package io.masterwork.worker;

import io.masterwork.api.Sibling;
import io.masterwork.posix.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The inboxes of sibling workers this worker holds (nginx's {@code ngx_processes[s].channel[0]} in a
 * worker): opened by OPEN_CHANNEL, closed by CLOSE_CHANNEL. Owns the descriptors. Used on the event
 * loop thread only; {@link #snapshot} may be read from elsewhere.
 */
final class SiblingInboxes {
    private static final Logger log = LoggerFactory.getLogger(SiblingInboxes.class);

    private record Held(int pid, int fd) {
    }

    private final Posix posix;
    private final Map<Long, Held> bySlot = new TreeMap<>();
    private volatile List<Sibling> snapshot = List.of();

    SiblingInboxes(Posix posix) {
        this.posix = posix;
    }

    /** Keeps {@code fd} (now owned here) as the inbox of the worker in {@code slot}. */
    void open(long slot, int pid, int fd) {
        Held previous = bySlot.put(slot, new Held(pid, fd));
        if (previous != null) {
            // A respawned sibling in the same slot: the old inbox is dead.
            posix.closeQuietly(previous.fd());
        }
        log.debug("sibling slot {} pid {}: inbox fd {}", slot, pid, fd);
        publish();
    }

    void close(long slot, int pid) {
        Held held = bySlot.get(slot);
        if (held == null) {
            log.warn("CLOSE_CHANNEL for slot {} pid {}: no inbox held for that slot", slot, pid);
            return;
        }
        if (pid != 0 && held.pid() != pid) {
            log.warn("CLOSE_CHANNEL for slot {} pid {}: the inbox held there belongs to pid {}, kept",
                    slot, pid, held.pid());
            return;
        }
        bySlot.remove(slot);
        posix.closeQuietly(held.fd());
        log.debug("sibling slot {} pid {}: inbox closed", slot, pid);
        publish();
    }

    void closeAll() {
        bySlot.values().forEach(h -> posix.closeQuietly(h.fd()));
        bySlot.clear();
        publish();
    }

    List<Sibling> snapshot() {
        return snapshot;
    }

    private void publish() {
        List<Sibling> list = new ArrayList<>(bySlot.size());
        bySlot.forEach((slot, held) -> list.add(new Sibling(slot, held.pid())));
        snapshot = List.copyOf(list);
    }
}
