package io.masterwork.master.cli;

import io.masterwork.master.control.ControlClient;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * A command that asks the running master one question on its control socket and prints the answer: the master is
 * found through the configuration's pid file and control socket keys, whatever else the file says now (a bad
 * {@code app { }} value, a missing jar: issue 28). Exit status 0 when the master answered; 1, with the reason on
 * stderr, when the control socket is off, no master runs, it cannot be asked or it refused.
 */
abstract class MasterQuestionCommand implements Callable<Integer> {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @ParentCommand
    Masterwork parent;

    @Option(names = "-c", paramLabel = "file", description = "configuration file (as for masterwork -c)")
    Path configFile;

    @Option(names = "-p", paramLabel = "prefix", description = "prefix (as for masterwork -p)")
    Path prefix;

    private final Console console;

    MasterQuestionCommand(Console console) {
        this.console = console;
    }

    /** The control socket's command line, e.g. {@code status}. */
    abstract String question();

    /** What the user reads of the master's answer (which is not an error). */
    abstract String printable(String answer);

    /** Appended to the error when the control socket is off: how else to get there, or nothing. */
    String withoutControlSocket() {
        return "";
    }

    @Override
    public final Integer call() {
        Path prefixDir = (prefix != null ? prefix : parent.prefix != null ? parent.prefix : Path.of(""))
                .toAbsolutePath().normalize();
        Path file = prefixDir.resolve(configFile != null ? configFile : parent.configFile).normalize();
        ControlTarget target = ControlTarget.of(file, prefixDir, console);
        if (target.controlSocket().isEmpty()) {
            console.error("error", "cannot ask the master: control_socket is off in " + target.configFile()
                    + withoutControlSocket());
            return 1;
        }
        String answer;
        try (ControlClient client = ControlClient.connect(target.controlSocket().get())) {
            answer = client.ask(question(), TIMEOUT);
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
        console.out().println(printable(answer));
        console.out().flush();
        return 0;
    }
}
