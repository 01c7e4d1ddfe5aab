package io.masterwork.master.cli;

import io.masterwork.master.Launcher;
import io.masterwork.master.Version;
import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.ConfigurationException;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.pid.PidFile;
import io.masterwork.master.process.MemoryHeadroom;
import io.masterwork.master.process.SettingsCheckProcess;
import io.masterwork.master.process.SpareAllowance;
import io.masterwork.master.process.WorkerReadableFiles;
import io.masterwork.master.process.WorkerUser;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Signal;
import io.masterwork.posix.SignalRoute;
import io.masterwork.posix.UserInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The {@code masterwork} command, with nginx's options. Without options it runs the master in the
 * foreground (this very JVM becomes the master: same pid as the pid file).
 */
@Command(name = "masterwork", sortOptions = false,
        description = "nginx's master/worker process model for the JVM.%n"
                + "Without options: run the master in the foreground (or detach if daemon = true).%n"
                + "masterwork status [--json]: the running master's workers.%n"
                + "masterwork workers N: set the running master's worker count.",
        footer = "%nExit status: 0 on success, 1 on any error (the message says what is wrong).")
public final class Masterwork implements Callable<Integer> {
    /** conf/masterwork.conf, or conf/&lt;name&gt;.conf for a downstream distribution's bin/&lt;name&gt; ({@link Launcher}). */
    static final Path DEFAULT_CONFIG = Launcher.defaultConfig();

    @Option(names = "-c", paramLabel = "file",
            description = "configuration file (default: conf/<name of this command>.conf; relative to the prefix)")
    Path configFile = DEFAULT_CONFIG;

    @Option(names = "-p", paramLabel = "prefix",
            description = "prefix every relative path is resolved against (default: the current directory)")
    Path prefix;

    @Option(names = "-t", description = "test the configuration and exit (binds nothing; safe while a master runs)")
    boolean test;

    @Option(names = "-s", paramLabel = "signal",
            description = "send a signal to the master: stop (TERM), quit (QUIT), reload (HUP), reopen (USR1);"
                    + " reload goes through the control socket when there is one and waits for the outcome")
    String signal;

    @Option(names = {"-v", "-V"}, description = "print the version and exit")
    boolean version;

    @Option(names = {"-h", "-?"}, usageHelp = true, description = "print this help and exit")
    boolean help;

    private final Console console;

    Masterwork(Console console) {
        this.console = console;
    }

    public static void main(String[] args) {
        EarlySignalRoute.takeIfPlainStart(args);
        if (SignalRoute.isRouted()) {
            // The master's image: it binds libc while the command line, configuration, logging and injector are set up.
            NativePosix.preload();
        }
        System.exit(run(args, System.out, System.err));
    }

    /** Parses and executes; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Console console = new Console(out, err);
        CommandLine cl = new CommandLine(new Masterwork(console));
        cl.setCommandName(Launcher.name());
        cl.addSubcommand("status", new StatusCommand(console));
        cl.addSubcommand("workers", new WorkersCommand(console));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, a) -> {
            console.error("emerg", ex.getMessage());
            err.println("Try 'masterwork -h' for the options.");
            return 1;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        if (version) {
            console.out().println("masterwork version " + Version.get() + " (Java " + Runtime.version() + ")");
            console.out().flush();
            return 0;
        }
        if (test && signal != null) {
            console.error("emerg", "-t and -s cannot be combined");
            return 1;
        }
        if (signal != null) {
            try {
                SignalCommand.parse(signal);
            } catch (IllegalArgumentException e) {
                console.error("emerg", e.getMessage());
                return 1;
            }
        }
        Path prefixDir = (prefix == null ? Path.of("") : prefix).toAbsolutePath().normalize();
        Path file = prefixDir.resolve(configFile).normalize();
        if (signal != null && SignalCommand.parse(signal) != Signal.HUP) {
            // stop, quit, reopen: the running master is found whatever the file says now (issue 28).
            ControlTarget target = ControlTarget.of(file, prefixDir, console);
            return new SignalCommand(console).send(signal, target.pidFile(), target.controlSocket().orElse(null));
        }
        MasterConfiguration config;
        try {
            config = ConfigLoader.load(file, prefixDir);
        } catch (ConfigurationException e) {
            console.error("emerg", e.getMessage());
            if (test) {
                console.err().println("masterwork: configuration file " + file + " test failed");
            }
            return 1;
        }
        if (test) {
            Optional<String> refused;
            try {
                // As at start: who the workers run as, and whether that user can read what a worker loads.
                UserInfo workerUser = WorkerUser.resolve(NativePosix.get(), config);
                WorkerReadableFiles.check(workerUser, config);
                // The applications' own checks of http {} and app {}: application code, run as the worker user in a
                // process of its own, never in this (often root) process.
                // Without worker-core on this class path (master-core's own tests) no worker could start from it
                // either, and there is no check to run; a distribution always has it (CommandLineIT tests -t there).
                refused = SettingsCheckProcess.available() ? SettingsCheckProcess.run(config, workerUser) : Optional.empty();
            } catch (IllegalStateException e) {
                refused = Optional.of(e.getMessage());
            }
            if (refused.isPresent()) {
                console.error("emerg", refused.get());
                console.err().println("masterwork: configuration file " + file + " test failed");
                return 1;
            }
            console.info("the configuration file " + file + " syntax is ok");
            // What a master started now would keep: auto reads this machine's (and this cgroup's) memory now.
            SpareAllowance spares = SpareAllowance.of(config.workerSpares(), config.workerProcesses(),
                    MemoryHeadroom.ofThisProcess(), 0);
            console.info("spare workers: " + spares.count() + " (" + spares.reason() + ")");
            console.info("configuration ok: configuration file " + file + " test is successful");
            return 0;
        }
        if (signal != null) {
            // reload: the configuration's errors are what the operator asks about; a valid file goes to the master.
            return new SignalCommand(console).send(signal, new PidFile(config.pidFile()), config.controlSocket().orElse(null));
        }
        return new MasterStart(console).run(config);
    }
}
