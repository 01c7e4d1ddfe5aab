package io.masterwork.master.cli;

import io.masterwork.posix.Signal;

import java.util.EnumSet;
import java.util.Set;

/** The signals the master blocks from its first instruction and reads from a signalfd (ARCHITECTURE.md). */
final class MasterSignalSet {
    static final Set<Signal> SIGNALS = EnumSet.of(Signal.HUP, Signal.INT, Signal.QUIT, Signal.TERM, Signal.USR1,
            Signal.USR2, Signal.WINCH, Signal.CHLD, Signal.TTIN, Signal.TTOU, Signal.IO);

    /** Set in the environment of a master started by {@code daemon = true}: it must not detach again. */
    static final String DAEMON_VARIABLE = "MASTERWORK_DAEMON";

    private MasterSignalSet() {
    }

    static boolean isDaemonChild() {
        return "1".equals(System.getenv(DAEMON_VARIABLE));
    }
}
