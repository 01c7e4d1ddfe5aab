package io.masterwork.master.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code masterwork status}: the running master's process table, asked on its control socket. */
@Command(name = "status", sortOptions = false,
        description = "Show the running master's workers (asked on its control socket).",
        footer = "%nExit status: 0 when the master answered; 1 when no master runs or it cannot be asked.")
final class StatusCommand extends MasterQuestionCommand {

    @Option(names = "--json", description = "print the master's answer as JSON")
    boolean json;

    @Option(names = {"-h", "-?"}, usageHelp = true, description = "print this help and exit")
    boolean help;

    StatusCommand(Console console) {
        super(console);
    }

    @Override
    String question() {
        return "status";
    }

    @Override
    String printable(String answer) {
        return json ? answer : StatusTable.render(answer).stripTrailing();
    }
}
