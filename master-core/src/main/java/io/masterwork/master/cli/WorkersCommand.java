package io.masterwork.master.cli;

import io.masterwork.master.control.ControlClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code masterwork workers N}: the running master's worker count, as TTIN/TTOU change it, asked on its control socket. */
@Command(name = "workers", sortOptions = false,
        description = "Set the running master's worker count until the next reload (asked on its control socket).",
        footer = "%nExit status: 0 when the master took the count; 1 when no master runs, it cannot be asked or it refused.")
final class WorkersCommand implements Callable<Integer> {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @ParentCommand
    Masterwork parent;

    @Parameters(index = "0", paramLabel = "N", description = "the number of workers (1 or more)")
    int count;

    @Option(names = "-c", paramLabel = "file", description = "configuration file (as for masterwork -c)")
    Path configFile;

    @Option(names = "-p", paramLabel = "prefix", description = "prefix (as for masterwork -p)")
    Path prefix;

    @Option(names = {"-h", "-?"}, usageHelp = true, description = "print this help and exit")
    boolean help;

    private final Console console;

    WorkersCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() {
        Path prefixDir = (prefix != null ? prefix : parent.prefix != null ? parent.prefix : Path.of(""))
                .toAbsolutePath().normalize();
        Path file = prefixDir.resolve(configFile != null ? configFile : parent.configFile).normalize();
        // Whatever the file says now: the running master is found through its pid file and control socket (issue 28).
        ControlTarget target = ControlTarget.of(file, prefixDir, console);
        if (target.controlSocket().isEmpty()) {
            console.error("error", "cannot ask the master: control_socket is off in " + target.configFile()
                    + " (send TTIN or TTOU to change the count by one)");
            return 1;
        }
        String answer;
        try (ControlClient client = ControlClient.connect(target.controlSocket().get())) {
            answer = client.ask("workers " + count, TIMEOUT);
        } catch (ControlClient.Unreachable e) {
            console.error("error", "no master running: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            console.error("error", e.getMessage());
            return 1;
        }
        if (answer.startsWith("error:")) {
            console.error("error", "the master refused: " + answer.substring("error:".length()).strip());
            return 1;
        }
        console.out().println(answer.strip());
        console.out().flush();
        return 0;
    }
}
