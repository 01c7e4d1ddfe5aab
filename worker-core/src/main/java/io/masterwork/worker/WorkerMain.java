package io.masterwork.worker;

import io.masterwork.channel.SpawnContract;
import io.masterwork.posix.Posix;
import io.masterwork.posix.ProcessTitle;
import io.masterwork.worker.log.Markers;
import io.masterwork.worker.log.WorkerLogging;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A masterwork worker process, started by the master with the descriptors and arguments of channel-proto's
 * {@link SpawnContract}: exit status 0 after QUIT, TERMINATE or a lost master, 2 when init failed (the master then
 * does not respawn it).
 */
public final class WorkerMain {
    static final String POSIX_WRAPPER_PROPERTY = "masterwork.worker.posix";

    private WorkerMain() {
    }

    /** A plain loop: no lambda bootstrap on the start path. */
    private static boolean isSpare(String[] args) {
        for (String arg : args) {
            if (arg.startsWith("--" + SpawnContract.SPARE + "=")) {
                return true;
            }
        }
        return false;
    }

    public static void main(String[] args) {
        long mainEntered = System.nanoTime();
        WorkerSignals.ignoreTheMastersSignals();
        // Before the first logger: SLF4J loads the worker's provider by name, with no search of the class path.
        System.setProperty(WorkerLogging.PROVIDER_PROPERTY, WorkerLogging.class.getName());
        // SLF4J announces an explicitly named provider at its INFO: not a line for the error log.
        System.getProperties().putIfAbsent(WorkerLogging.REPORT_VERBOSITY_PROPERTY, "WARN");
        // Before credentials change: a process that dropped from root is no longer dumpable and
        // may not write its own /proc/self/mem.
        String title = isSpare(args) ? SpawnContract.SPARE_TITLE : SpawnContract.WORKER_TITLE;
        boolean titled = ProcessTitle.set(title);
        long titleMicros = (System.nanoTime() - mainEntered) / 1000;
        NativeWarmup nativeWarmup = NativeWarmup.begin();
        long loggingStart = System.nanoTime();
        Logger log = LoggerFactory.getLogger(WorkerMain.class);
        long configStart = System.nanoTime();
        int status;
        try {
            WorkerArguments arguments = WorkerArguments.parse(args);
            WorkerConfiguration config = WorkerConfiguration.readDescriptor(SpawnContract.CONFIG_FD);
            WorkerLogging.applyLevel(config.errorLogLevel());
            if (!titled) {
                log.warn("cannot set the process title to \"{}\"", title);
            }
            long posixStart = System.nanoTime();
            Posix posix = withTestWrapper(nativeWarmup.posix());
            long posixDone = System.nanoTime();
            log.info("start-up: process title {} us, logging {} ms, configuration {} ms, native bindings {} ms more",
                    titleMicros, (configStart - loggingStart) / 1_000_000, (posixStart - configStart) / 1_000_000,
                    (posixDone - posixStart) / 1_000_000);
            status = new WorkerProcess(posix, arguments, config, mainEntered).run();
        } catch (WorkerInitException e) {
            log.error(Markers.EMERG, "worker init failed, exiting with status {}: {}", SpawnContract.EXIT_FATAL, e.getMessage());
            status = SpawnContract.EXIT_FATAL;
        } catch (Throwable e) {
            log.error(Markers.EMERG, "worker init failed, exiting with status {}", SpawnContract.EXIT_FATAL, e);
            status = SpawnContract.EXIT_FATAL;
        }
        System.out.flush();
        System.err.flush();
        // halt: nothing is left to clean up, and no shutdown hook may delay or change the status.
        Runtime.getRuntime().halt(status);
    }

    /**
     * The worker's one test hook: its native calls are made before any Guice module of the application is
     * loaded, so {@code modules.worker} cannot replace them. {@code -Dmasterwork.worker.posix=<class>} (through
     * {@code worker_jvm_options}) names a {@code UnaryOperator<Posix>} on the class path that wraps them, as the
     * integration tests' fault injection does (docs/RELIABILITY.md). Unset, nothing is loaded.
     */
    @SuppressWarnings("unchecked")
    static Posix withTestWrapper(Posix posix) {
        String wrapper = System.getProperty(POSIX_WRAPPER_PROPERTY);
        if (wrapper == null || wrapper.isEmpty()) {
            return posix;
        }
        try {
            var operator = (UnaryOperator<Posix>) Class.forName(wrapper).getDeclaredConstructor().newInstance();
            return operator.apply(posix);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new WorkerInitException(POSIX_WRAPPER_PROPERTY + "=" + wrapper + ": not a UnaryOperator<Posix> "
                    + "with a no-argument constructor on the worker class path: " + e);
        }
    }
}
