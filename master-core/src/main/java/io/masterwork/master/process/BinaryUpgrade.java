package io.masterwork.master.process;

import java.nio.file.Path;

/** A binary upgrade under way, as the old master sees it: its child, the new master, serves beside it. */
final class BinaryUpgrade {
    final int newMasterPid;
    final long startedNanos = System.nanoTime();
    final Path pidFile;
    final Path controlSocket;

    BinaryUpgrade(int newMasterPid, Path pidFile, Path controlSocket) {
        this.newMasterPid = newMasterPid;
        this.pidFile = pidFile;
        this.controlSocket = controlSocket;
    }

    static Path oldbin(Path path) {
        return path.resolveSibling(path.getFileName() + ".oldbin");
    }
}
