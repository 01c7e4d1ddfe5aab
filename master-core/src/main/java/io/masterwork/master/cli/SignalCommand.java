package io.masterwork.master.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.masterwork.master.control.ControlClient;
import io.masterwork.master.pid.PidFile;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * {@code -s stop|quit|reload|reopen}: one signal to the master named by the pid file, as nginx's {@code -s};
 * {@code reload} asks on the control socket instead when there is one, and reports the outcome.
 */
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

    /**
     * {@code reload} is asked on the control socket when the master has one (it answers when the reload is
     * over, with the outcome); everything else, and a master without a socket, gets the signal.
     */
    int send(String name, PidFile pidFile, Path controlSocket) {
        Signal signal = parse(name);
        if (signal == Signal.HUP && controlSocket != null && Files.exists(controlSocket)) {
            Integer status = reloadThroughSocket(controlSocket);
            if (status != null) {
                return status;
            }
        }
        return send(name, pidFile);
    }

    /** The exit status, or null when no master listens on the socket (then the pid file decides). */
    private Integer reloadThroughSocket(Path socket) {
        String answer;
        try (ControlClient client = ControlClient.connect(socket)) {
            answer = client.ask("reload", null);
        } catch (ControlClient.Unreachable e) {
            return null;
        } catch (IOException e) {
            console.error("error", "reload: " + e.getMessage());
            return 1;
        }
        if (answer.startsWith("error:")) {
            console.error("error", "reload refused by the master: " + answer.substring("error:".length()).strip());
            return 1;
        }
        Config outcome;
        try {
            outcome = ConfigFactory.parseString(answer, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
        } catch (ConfigException e) {
            console.error("error", "reload: the master's answer is not understood: " + answer);
            return 1;
        }
        long generation = outcome.getLong("generation");
        String message = outcome.getString("message");
        if (outcome.getBoolean("ok")) {
            console.info("reload complete: " + message);
            return 0;
        }
        console.error("error", "reload failed, generation " + generation + " goes on serving: " + message);
        return 1;
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
