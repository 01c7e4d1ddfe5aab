package io.masterwork.master.process;

import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's extensions (the control socket, systemd's notify protocol, whatever {@code modules.master} adds),
 * living in the master loop without threads of their own: told what happens, polled on their descriptors, woken by
 * their timers. Every call into one is guarded: an extension that throws, or hands the loop a descriptor that is not
 * open, is logged and the master goes on without that part of it.
 */
final class Extensions {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    private final List<MasterExtension> extensions;
    private final Posix posix;
    /** Descriptors an extension handed the loop that turned out not to be open (poll said POLLNVAL). */
    private final Set<Integer> notOpen = new HashSet<>();
    private MasterControl control;

    Extensions(List<MasterExtension> extensions, Posix posix) {
        this.extensions = List.copyOf(extensions);
        this.posix = posix;
    }

    /** The master as the extensions are to see and steer it. */
    void control(MasterControl master) {
        this.control = master;
    }

    /** Tells every extension what happened, e.g. {@code announce(MasterExtension::reloadStarted)}. */
    void announce(BiConsumer<MasterExtension, MasterControl> event) {
        for (MasterExtension extension : extensions) {
            Guard.run(name(extension), () -> event.accept(extension, control));
        }
    }

    /** Every extension's descriptors to poll this turn, those known not to be open left out. */
    List<Integer> descriptors() {
        List<Integer> all = new ArrayList<>();
        Set<Integer> stillNamed = new HashSet<>();
        for (MasterExtension extension : extensions) {
            Guard.run(name(extension), () -> {
                for (int fd : extension.descriptors()) {
                    if (notOpen.contains(fd)) {
                        stillNamed.add(fd);
                    } else {
                        all.add(fd);
                    }
                }
            });
        }
        // A number the extensions stopped handing out may be opened again for something else: watch it again then.
        notOpen.retainAll(stillNamed);
        return all;
    }

    /**
     * After a failed poll: which of the extensions' descriptors are not open. They are left out from now on (an
     * error each); true when one was found, false when the poll failed for another reason.
     */
    boolean dropDescriptorsNotOpen() {
        boolean found = false;
        for (MasterExtension extension : extensions) {
            for (int fd : descriptorsOf(extension)) {
                if (!notOpen.contains(fd) && !isOpen(fd)) {
                    log.error("{} handed the master loop descriptor {}, which is not open; it is not polled any more",
                            name(extension), fd);
                    notOpen.add(fd);
                    found = true;
                }
            }
        }
        return found;
    }

    private boolean isOpen(int fd) {
        try {
            posix.isNonBlocking(fd);
            return true;
        } catch (PosixException e) {
            return false;
        }
    }

    /** Hands a readable descriptor to the extension that owns it; false when none does. */
    boolean readable(int fd) {
        for (MasterExtension extension : extensions) {
            for (int own : descriptorsOf(extension)) {
                if (own == fd) {
                    Guard.run(name(extension), () -> extension.readable(fd, control));
                    return true;
                }
            }
        }
        return false;
    }

    /** Every extension's sockets for a new master (USR2), by name; a name given twice keeps the first. */
    java.util.Map<String, Integer> upgradeSockets() {
        java.util.Map<String, Integer> all = new java.util.LinkedHashMap<>();
        for (MasterExtension extension : extensions) {
            Guard.run(name(extension), () -> extension.upgradeSockets().forEach((name, fd) -> {
                if (name.matches("[a-z_]+") && fd >= 0) {
                    all.putIfAbsent(name, fd);
                }
            }));
        }
        return all;
    }

    void runTimers() {
        long now = System.nanoTime();
        for (MasterExtension extension : extensions) {
            long due = nextTimerOf(extension);
            if (due != Long.MAX_VALUE && now - due >= 0) {
                Guard.run(name(extension), () -> extension.timer(control));
            }
        }
    }

    /** The earliest extension timer, System.nanoTime(); Long.MAX_VALUE for none. */
    long nextTimerNanos() {
        long next = Long.MAX_VALUE;
        for (MasterExtension extension : extensions) {
            next = MasterProcessCycle.earlier(next, nextTimerOf(extension));
        }
        return next;
    }

    private long nextTimerOf(MasterExtension extension) {
        return ask(extension, MasterExtension::nextTimerNanos, Long.MAX_VALUE);
    }

    private int[] descriptorsOf(MasterExtension extension) {
        int[][] out = {new int[0]};
        Guard.run(name(extension), () -> out[0] = extension.descriptors());
        return out[0];
    }

    private static long ask(MasterExtension extension, ToLongFunction<MasterExtension> question, long otherwise) {
        long[] answer = {otherwise};
        Guard.run(name(extension), () -> answer[0] = question.applyAsLong(extension));
        return answer[0];
    }

    private static String name(MasterExtension extension) {
        return extension.getClass().getSimpleName();
    }
}
