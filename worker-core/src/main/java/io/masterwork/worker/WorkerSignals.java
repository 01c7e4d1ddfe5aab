package io.masterwork.worker;

import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * A worker's signals: three are the fallback when a command cannot be written to this worker's channel (see
 * master-core's WorkerCommands): TERM = QUIT, INT = TERMINATE, USR1 = REOPEN. A handler only hands the command to the
 * event loop, where the channel's commands run too. QUIT itself is left to the JVM, whose thread dump is what an
 * operator wants from a hung worker.
 */
@SuppressWarnings("restriction")
final class WorkerSignals {
    private WorkerSignals() {
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
