package io.masterwork.posix;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Routes signals to a signalfd in a JVM, QUIT included.
 *
 * <p>HotSpot refuses a Java handler for QUIT, a USR2 handler breaks its suspend/resume signal, and
 * without {@code -Xrs} HotSpot installs its own handlers. So the JVM re-executes itself (same pid)
 * with the signals blocked in the thread that calls execve: the new image inherits the mask, every
 * thread HotSpot creates inherits it from there, {@code -Xrs} keeps HotSpot from touching those
 * signals, {@code -XX:+StartAttachListener} lets jcmd attach without SIGQUIT, and
 * {@code _JAVA_SR_SIGNUM=40} moves HotSpot's suspend/resume signal off USR2. One thread then reads
 * the signals from a {@link Posix#signalFd signalfd}.
 */
public final class SignalRoute {
    /** Set in the environment of the re-executed image. */
    public static final String ROUTED_VARIABLE = "MASTERWORK_SIGNALS_ROUTED";
    static final String SUSPEND_RESUME_VARIABLE = "_JAVA_SR_SIGNUM";
    static final String SUSPEND_RESUME_SIGNAL = "40";
    static final List<String> ROUTE_FLAGS = List.of("-Xrs", "-XX:+StartAttachListener");

    private SignalRoute() {
    }

    /** True in the re-executed image. */
    public static boolean isRouted() {
        return "1".equals(System.getenv(ROUTED_VARIABLE));
    }

    /**
     * Blocks the signals in the calling thread and execve()s /proc/self/exe with the original argv
     * plus the route's JVM flags right after argv[0]. Same pid. Returns only by throwing.
     *
     * @throws IllegalStateException when this image is already routed (a second re-exec would loop)
     */
    public static void reexecWithBlockedSignals(Set<Signal> signals, List<String> extraJvmFlags) {
        if (isRouted()) {
            throw new IllegalStateException("signals are already routed in this JVM ("
                    + ROUTED_VARIABLE + "=1): re-executing again would loop");
        }
        if (signals.isEmpty()) {
            throw new IllegalArgumentException("no signals to route");
        }
        if (signals.contains(Signal.KILL) || signals.contains(Signal.STOP)) {
            throw new IllegalArgumentException("KILL and STOP cannot be blocked: " + signals);
        }
        NativePosix posix = (NativePosix) NativePosix.get();
        List<String> argv = commandLine(ProcessTitle.commandLine(), extraJvmFlags);
        List<String> environment = environment(System.getenv());
        String executable = posix.executablePath();

        // Block first: from here on, a signal sent to this thread waits for the new image.
        posix.blockSignals(signals);
        // SIG_IGN survives execve and a shell's "&" sets it for INT and QUIT; handlers do not
        // survive, so only ignored signals need resetting. Done last to keep the window tiny.
        for (Signal s : signals) {
            if (posix.isIgnored(s)) {
                posix.resetSignalDispositions(Set.of(s));
            }
        }
        posix.execve(executable, argv, environment);
    }

    /**
     * For a JVM started as this one's routed image by spawning rather than exec (the daemon's master, whose
     * signals the spawn blocks): this process's argv with the route's JVM flags.
     */
    public static List<String> routedCommandLine() {
        return commandLine(ProcessTitle.commandLine(), List.of());
    }

    /** For the same: this process's environment with the route's variables and {@code extra} (replacing earlier values). */
    public static List<String> routedEnvironment(Map<String, String> extra) {
        Map<String, String> env = new TreeMap<>(System.getenv());
        env.putAll(extra);
        return environment(env);
    }

    /**
     * The original argv with the route's flags (and the caller's) inserted right after argv[0]; an argv that has
     * the route's flags already (a routed image's) keeps them once.
     */
    static List<String> commandLine(List<String> original, List<String> extraJvmFlags) {
        if (original.isEmpty()) {
            throw new IllegalStateException("/proc/self/cmdline is empty");
        }
        List<String> argv = new ArrayList<>(original.size() + ROUTE_FLAGS.size() + extraJvmFlags.size());
        argv.add(original.get(0));
        if (!original.containsAll(ROUTE_FLAGS)) {
            argv.addAll(ROUTE_FLAGS);
        }
        argv.addAll(extraJvmFlags);
        argv.addAll(original.subList(1, original.size()));
        return argv;
    }

    /** The current environment plus the route's variables (replacing earlier values), sorted for stability. */
    static List<String> environment(Map<String, String> current) {
        Map<String, String> env = new TreeMap<>(current);
        env.put(SUSPEND_RESUME_VARIABLE, SUSPEND_RESUME_SIGNAL);
        env.put(ROUTED_VARIABLE, "1");
        List<String> entries = new ArrayList<>(env.size());
        env.forEach((name, value) -> entries.add(name + "=" + value));
        return entries;
    }
}
