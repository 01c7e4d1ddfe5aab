package io.masterwork.worker;

import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * A worker's signals. The master's own signals are for the master: a terminal's hang-up or an operator's
 * {@code pkill -HUP -f masterwork} reaches every worker too, and nginx's workers ignore HUP, USR2, WINCH (and the
 * master's TTIN/TTOU, which would otherwise stop the process). So do these, from {@code main}'s first instruction.
 *
 * <p>Three signals are the fallback when a command cannot be written to this worker's channel (see master-core's
 * WorkerCommands): TERM = QUIT, INT = TERMINATE, USR1 = REOPEN. A handler only hands the command to the event loop,
 * where the channel's commands run too. QUIT itself is left to the JVM, whose thread dump is what an operator wants
 * from a hung worker.
 */
@SuppressWarnings("restriction")
final class WorkerSignals {
    /** What the master acts on and a worker must outlive. */
    private static final String[] IGNORED = {"HUP", "USR2", "WINCH", "TTIN", "TTOU"};
    /**
     * HotSpot suspends and resumes threads with USR2 unless this names another signal; the master's spawn contract
     * sets it (SpawnContract.WORKER_ENVIRONMENT). A worker started without it leaves USR2 to HotSpot.
     */
    private static final String SUSPEND_RESUME_SIGNAL = "_JAVA_SR_SIGNUM";

    private WorkerSignals() {
    }

    /** Before anything else in {@code main}; no logger yet, so a refusal goes to stderr (the error log). */
    static void ignoreTheMastersSignals() {
        String suspendResume = System.getenv(SUSPEND_RESUME_SIGNAL);
        boolean usr2IsHotSpots = suspendResume == null || suspendResume.equals("12");
        for (String name : IGNORED) {
            if (usr2IsHotSpots && name.equals("USR2")) {
                continue;
            }
            try {
                Signal.handle(new Signal(name), SignalHandler.SIG_IGN);
            } catch (IllegalArgumentException e) {
                // -Xrs in worker_jvm_options, or HotSpot's own use of the signal: the default action stays.
                System.err.println("masterwork worker: cannot ignore SIG" + name + ": " + e.getMessage());
            }
        }
    }

    static void install(Executor loop, Runnable quit, Runnable terminate, Runnable reopen) {
        Logger log = LoggerFactory.getLogger("masterwork.worker");
        Map<String, Runnable> actions = Map.of("TERM", quit, "INT", terminate, "USR1", reopen);
        actions.forEach((name, action) -> {
            try {
                Signal.handle(new Signal(name), signal -> loop.execute(() -> {
                    log.info("signal SIG{} received", name);
                    action.run();
                }));
            } catch (IllegalArgumentException e) {
                log.warn("cannot handle SIG{}: {}", name, e.getMessage());
            }
        });
    }
}
