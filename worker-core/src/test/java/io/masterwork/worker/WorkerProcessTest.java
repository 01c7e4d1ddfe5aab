package io.masterwork.worker;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test that plays the master for real worker JVMs: a temporary prefix, and a {@link MasterStandIn}
 * whose every spawned process is ended after each test.
 */
abstract class WorkerProcessTest {
    @TempDir
    Path dir;
    MasterStandIn master;

    @AfterEach
    void stopWorkers() {
        if (master != null) {
            master.close();
        }
    }
}
