package io.masterwork.master.cli;

import io.masterwork.posix.SignalRoute;

import java.util.List;

/**
 * The signal route's re-exec (ARCHITECTURE.md, "How a signal travels") taken at the top of {@code main},
 * before the command line is parsed and the configuration read, when the arguments can only mean "start the
 * master": the first JVM image then does nothing but exec, and the parse and the read happen once, in the
 * image that stays. Measured: ~0.35 s of every master start (docs/BENCHMARKS.md, "Worker start-up").
 *
 * <p>What the user sees is the same either way: the exec keeps the pid, the terminal and the exit status, and
 * the routed image reports a bad option or configuration as the first image would have. So this only
 * recognises the plain forms, no arguments or {@code -c file} / {@code -p prefix} pairs; anything else
 * ({@code -t}, {@code -s}, {@code status}, clustered or unknown options) takes the usual path, which
 * re-executes later, after the checks, when it does start a master.
 */
final class EarlySignalRoute {
    private static final List<String> VALUE_OPTIONS = List.of("-c", "-p");

    private EarlySignalRoute() {
    }

    /** Re-executes now when that is safe and useful; returns when it is not (or when it failed). */
    static void takeIfPlainStart(String[] args) {
        // A daemon's master is routed already: Daemonizer spawns it with the route's environment.
        if (!isPlainStart(args) || SignalRoute.isRouted()) {
            return;
        }
        try {
            SignalRoute.reexecWithBlockedSignals(MasterSignalSet.SIGNALS, List.of());
        } catch (RuntimeException e) {
            // The usual path tries again after the checks and reports the failure in its words.
        }
    }

    static boolean isPlainStart(String[] args) {
        if (args.length % 2 != 0) {
            return false;
        }
        for (int i = 0; i < args.length; i += 2) {
            String value = args[i + 1];
            if (!VALUE_OPTIONS.contains(args[i]) || value.isEmpty() || value.startsWith("-")) {
                return false;
            }
        }
        return true;
    }
}
