package io.masterwork.worker;

import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.posix.WaitStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A real worker JVM, started the way the master starts one, with the test as its master. */
class WorkerLifecycleIT {
    static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    MasterStandIn master;

    @AfterEach
    void stop() {
        if (master != null) {
            master.close();
        }
    }

    @Test
    void aWorkerServesTheConfiguredBodyAndReportsReady() throws Exception {
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson("\"body\":\"hi there\\n\""));
        ChannelFrame ready = master.awaitReady(START);
        assertThat(ready.pid()).isEqualTo(master.pid);
        assertThat(ready.slot()).isEqualTo(3);
        HttpProbe.Response r = HttpProbe.get(master.address, "/anything");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).isEqualTo("hi there\n");
        assertThat(r.header("content-type")).isEqualTo("text/plain");
        System.out.println(master.errorLogText());
    }
}
