package io.masterwork.master.cli;

import io.masterwork.master.pid.PidFile;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;

import java.util.Locale;
import java.util.Map;

/** {@code -s stop|quit|reload|reopen}: one signal to the master named by the pid file, as nginx's {@code -s}. */
final class SignalCommand {
    static final Map<String, Signal> SIGNALS = Map.of(
            "stop", Signal.TERM,
            "quit", Signal.QUIT,
            "reload", Signal.HUP,
            "reopen", Signal.USR1);

    private final Console console;

    SignalCommand(Console console) {
        this.console = console;
    }

    static Signal parse(String name) {
        Signal s = SIGNALS.get(name.toLowerCase(Locale.ROOT));
        if (s == null) {
            throw new IllegalArgumentException("invalid signal \"" + name + "\" (expected stop, quit, reload or reopen)");
        }
        return s;
    }

    int send(String name, PidFile pidFile) {
        Signal signal = parse(name);
        PidFile.Status status = pidFile.status();
        switch (status.state()) {
            case ABSENT -> {
                console.error("error", "cannot send \"" + name + "\": " + status.description() + " (is masterwork running?)");
                return 1;
            }
            case INVALID -> {
                console.error("error", "cannot send \"" + name + "\": " + status.description());
                return 1;
            }
            case STALE -> {
                console.error("error", "cannot send \"" + name + "\": " + status.description() + " (stale pid file)");
                return 1;
            }
            default -> {
            }
        }
        try {
            NativePosix.get().kill(status.pid(), signal);
        } catch (PosixException e) {
            console.error("error", "cannot send " + signal.fullName() + " to master " + status.pid() + ": " + e.getMessage());
            return 1;
        }
        console.info("sent " + signal.fullName() + " (" + name + ") to master " + status.pid());
        return 0;
    }
}
