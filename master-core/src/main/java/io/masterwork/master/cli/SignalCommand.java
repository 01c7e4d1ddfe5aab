package io.masterwork.master.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.masterwork.master.control.ControlClient;
import io.masterwork.master.pid.PidFile;
import io.masterwork.posix.Errno;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
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
        return signal(name, pidFile, controlSocket);
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
        return signal(name, pidFile, null);
    }

    /**
     * The signal goes to the process the pid file names only once it is known to be a masterwork master of root or
     * of this user: anyone can write a command line that looks like one, and a pid file in a directory someone
     * else can write may name any process. The process is held by a pidfd first, so a pid recycled while it is
     * checked cannot redirect the signal.
     */
    private int signal(String name, PidFile pidFile, Path controlSocket) {
        Signal signal = parse(name);
        PidFile.Status status = pidFile.status();
        switch (status.state()) {
            case ABSENT -> {
                console.error("error", "no master running: cannot send \"" + name + "\": " + status.description()
                        + " (is masterwork running?)");
                return 1;
            }
            case INVALID -> {
                console.error("error", "cannot send \"" + name + "\": " + status.description());
                return 1;
            }
            case STALE -> {
                console.error("error", "no master running: cannot send \"" + name + "\": " + status.description()
                        + " (stale pid file)");
                return 1;
            }
            default -> {
            }
        }
        Posix posix = NativePosix.get();
        int pid = status.pid();
        int pidfd = -1;
        try {
            try {
                pidfd = posix.pidfdOpen(pid);
            } catch (PosixException e) {
                if (e.errno() != Errno.ENOSYS) {
                    console.error("error", "cannot send \"" + name + "\": process " + pid + " of pid file " + pidFile
                            + " is gone (" + e.getMessage() + ")");
                    return 1;
                }
                // a kernel before 5.3: kill(2) by pid below
            }
            String refusal = notOurMaster(posix, pid, controlSocket);
            if (refusal != null) {
                console.error("error", "cannot send \"" + name + "\": " + refusal);
                return 1;
            }
            if (pidfd >= 0) {
                posix.pidfdSendSignal(pidfd, signal);
            } else {
                posix.kill(pid, signal);
            }
        } catch (PosixException e) {
            console.error("error", "cannot send " + signal.fullName() + " to master " + pid + ": " + e.getMessage());
            return 1;
        } finally {
            if (pidfd >= 0) {
                posix.closeQuietly(pidfd);
            }
        }
        console.info("sent " + signal.fullName() + " (" + name + ") to master " + pid);
        return 0;
    }

    /**
     * Null when {@code pid} is a master of root or this user: the one that answers on the control socket (whose
     * server's credentials ControlClient checks), or, without a socket to ask, a process of root or this user
     * whose command line is a master's. Otherwise why not.
     */
    private static String notOurMaster(Posix posix, int pid, Path controlSocket) {
        if (controlSocket != null && Files.exists(controlSocket, LinkOption.NOFOLLOW_LINKS)) {
            try (ControlClient client = ControlClient.connect(controlSocket)) {
                Config answer = ConfigFactory.parseString(client.ask("status", Duration.ofSeconds(10)),
                        ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
                int master = answer.getInt("pid");
                return master == pid ? null : "the pid file names process " + pid + ", but the master on control socket "
                        + controlSocket + " is process " + master + "; not signalling " + pid;
            } catch (ControlClient.UntrustedServer e) {
                return e.getMessage();
            } catch (ControlClient.Unreachable e) {
                // a socket a dead master left: judge the process itself
            } catch (IOException | ConfigException e) {
                return "the master on control socket " + controlSocket + " did not say its pid (" + e.getMessage() + ")";
            }
        }
        int owner;
        try {
            owner = (Integer) Files.getAttribute(Path.of("/proc", Integer.toString(pid)), "unix:uid");
        } catch (IOException e) {
            return "process " + pid + " is gone";
        }
        if (owner != 0 && owner != posix.geteuid()) {
            return "process " + pid + " belongs to uid " + owner + ", neither root nor you: it is no master of yours";
        }
        if (!PidFile.isMasterworkMaster(pid)) {
            return "process " + pid + " is not a masterwork master";
        }
        return null;
    }
}
