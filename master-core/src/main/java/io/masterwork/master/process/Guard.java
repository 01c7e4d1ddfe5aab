package io.masterwork.master.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master outlives whatever goes wrong in one step of its loop, as nginx's does: the failure is logged with its
 * cause and the loop goes on with the next step. Errors too (an extension, or an application's class the master
 * loads, throwing NoClassDefFoundError); only a {@link VirtualMachineError} (out of memory, stack overflow) ends the
 * master, as nothing it would do next can be trusted.
 */
final class Guard {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    private Guard() {
    }

    static void run(String what, Runnable step) {
        try {
            step.run();
        } catch (VirtualMachineError fatal) {
            throw fatal;
        } catch (Throwable e) {
            log.error("error while handling {}: {}", what, e.toString(), e);
        }
    }
}
