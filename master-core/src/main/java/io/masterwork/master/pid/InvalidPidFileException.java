package io.masterwork.master.pid;

import java.nio.file.Path;

/** A pid file whose content is not a pid. */
public final class InvalidPidFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidPidFileException(Path file, String problem) {
        super("pid file " + file + " " + problem);
    }
}
