package io.masterwork.master.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code masterwork workers N}: the running master's worker count, as TTIN/TTOU change it, asked on its control socket. */
@Command(name = "workers", sortOptions = false,
        description = "Set the running master's worker count until the next reload (asked on its control socket).",
        footer = "%nExit status: 0 when the master took the count; 1 when no master runs, it cannot be asked or it refused.")
final class WorkersCommand extends MasterQuestionCommand {

    @Parameters(index = "0", paramLabel = "N", description = "the number of workers (1 or more)")
    int count;

    @Option(names = {"-h", "-?"}, usageHelp = true, description = "print this help and exit")
    boolean help;

    WorkersCommand(Console console) {
        super(console);
    }

    @Override
    String question() {
        return "workers " + count;
    }

    @Override
    String printable(String answer) {
        return answer.strip();
    }

    @Override
    String withoutControlSocket() {
        return " (send TTIN or TTOU to change the count by one)";
    }
}
