package io.masterwork.master.cli;

import java.io.PrintStream;

/** What the command line prints, in nginx's shape: {@code masterwork: [emerg] message} on stderr. */
final class Console {
    private final PrintStream out;
    private final PrintStream err;

    Console(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    void info(String message) {
        out.println("masterwork: " + message);
        out.flush();
    }

    void error(String level, String message) {
        err.println("masterwork: [" + level + "] " + message);
        err.flush();
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }
}
