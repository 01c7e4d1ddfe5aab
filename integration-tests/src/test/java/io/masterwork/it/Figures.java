package io.masterwork.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * What a reliability scenario measured, appended to {@code target/reliability-figures.txt} (one line per
 * figure) so that docs/RELIABILITY.md quotes runs, not guesses. Assertions stay in the tests.
 */
final class Figures {
    private static final Path FILE = Path.of("target", "reliability-figures.txt");

    private Figures() {
    }

    static synchronized void record(String scenario, String figures) {
        String line = Instant.now() + " " + scenario + ": " + figures + "\n";
        System.out.print(line);
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("cannot record figures: " + e);
        }
    }
}
