package io.masterwork.master.cli;

import io.masterwork.master.control.ControlClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code masterwork status}: the running master's process table, asked on its control socket. */
@Command(name = "status", sortOptions = false,
        description = "Show the running master's workers (asked on its control socket).",
        footer = "%nExit status: 0 when the master answered; 1 when no master runs or it cannot be asked.")
final class StatusCommand implements Callable<Integer> {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @ParentCommand
    Masterwork parent;

    @Option(names = "-c", paramLabel = "file", description = "configuration file (as for masterwork -c)")
    Path configFile;

    @Option(names = "-p", paramLabel = "prefix", description = "prefix (as for masterwork -p)")
    Path prefix;

    @Option(names = "--json", description = "print the master's answer as JSON")
    boolean json;

    @Option(names = {"-h", "-?"}, usageHelp = true, description = "print this help and exit")
    boolean help;

    private final Console console;

    StatusCommand(Console console) {
        this.console = console;
    }

    @Override
    public Integer call() {
        Path prefixDir = (prefix != null ? prefix : parent.prefix != null ? parent.prefix : Path.of(""))
                .toAbsolutePath().normalize();
        Path file = prefixDir.resolve(configFile != null ? configFile : parent.configFile).normalize();
        // Whatever the file says now (a bad app {} value, a missing jar): the running master is found (issue 28).
        ControlTarget target = ControlTarget.of(file, prefixDir, console);
        if (target.controlSocket().isEmpty()) {
            console.error("error", "cannot ask the master: control_socket is off in " + target.configFile());
            return 1;
        }
        Path socket = target.controlSocket().get();
        String answer;
        try (ControlClient client = ControlClient.connect(socket)) {
            answer = client.ask("status", TIMEOUT);
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
        console.out().println(json ? answer : StatusTable.render(answer).stripTrailing());
        console.out().flush();
        return 0;
    }
}
