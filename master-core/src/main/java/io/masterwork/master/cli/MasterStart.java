package io.masterwork.master.cli;

import io.masterwork.master.Version;
import io.masterwork.master.archive.StaleClassArchives;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.log.ErrorLogLevels;
import io.masterwork.master.log.MasterLogging;
import io.masterwork.master.pid.PidFile;
import io.masterwork.master.process.MasterProcessCycle;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.SignalRoute;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.util.List;

/**
 * Starting the master, in nginx's order: refuse to run beside a live master, retrain class-data archives that
 * do not fit this distribution (copied elsewhere), detach if
 * {@code daemon = true}, route the signals (re-exec), open the logs, replace a stale pid file, build the
 * injector and hand over to the master cycle.
 */
final class MasterStart {
    private final Console console;

    MasterStart(Console console) {
        this.console = console;
    }

    int run(MasterConfiguration config) {
        PidFile pidFile = new PidFile(config.pidFile());
        PidFile.Status before = pidFile.status();
        if (before.live()) {
            console.error("emerg", "already running: master " + before.pid() + " (pid file " + pidFile.path() + ")");
            return 1;
        }
        boolean daemonChild = MasterSignalSet.isDaemonChild();
        if (!daemonChild) {
            // Before any worker exists: they are spawned with the archives this leaves (a daemon's master was
            // started by a foreground process that did this already).
            StaleClassArchives.renew(config, NativePosix.get().geteuid() == 0, console::error);
        }
        if (config.daemon() && !daemonChild) {
            return new Daemonizer(NativePosix.get(), console).start(config, pidFile);
        }
        if (!SignalRoute.isRouted()) {
            try {
                SignalRoute.reexecWithBlockedSignals(MasterSignalSet.SIGNALS, List.of());
            } catch (RuntimeException e) {
                console.error("emerg", "cannot re-execute the JVM with the master's signals blocked: " + e.getMessage());
                return 1;
            }
        }
        try {
            MasterLogging.configure(config.errorLog(), config.errorLogLevel(), !daemonChild);
        } catch (UncheckedIOException e) {
            console.error("emerg", e.getMessage());
            return 1;
        }
        Logger log = LoggerFactory.getLogger("masterwork.master");
        log.info("masterwork/{} (Java {}), configuration {}", Version.get(), Runtime.version(), config.configFile());
        if (before.state() == PidFile.State.STALE || before.state() == PidFile.State.INVALID) {
            log.warn("{}: replacing the stale pid file", before.description());
            pidFile.remove();
        }
        try {
            MasterProcessCycle cycle = MasterInjector.create(config).getInstance(MasterProcessCycle.class);
            return cycle.run(pidFile);
        } catch (com.google.inject.ProvisionException e) {
            // A part that refused to be built (a control socket in use): its own message, not Guice's wrapping.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            log.error(ErrorLogLevels.EMERG, "the master failed: {}", cause.getMessage(), cause);
            return 1;
        } catch (RuntimeException e) {
            log.error(ErrorLogLevels.EMERG, "the master failed: {}", e.toString(), e);
            return 1;
        }
    }
}
