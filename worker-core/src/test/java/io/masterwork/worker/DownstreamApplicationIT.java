package io.masterwork.worker;

import io.masterwork.channel.ChannelFrame;
import io.masterwork.posix.WaitStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The example downstream application (examples/hello-app), named by its Guice module, in a real worker. */
class DownstreamApplicationIT extends WorkerProcessTest {

    @Test
    void aWorkerRunsTheApplicationNamedInModulesWorkerWithItsOwnSettings() throws Exception {
        master = MasterStandIn.create(dir);
        master.spawn("{\"modules\":{\"worker\":[\"io.masterwork.examples.hello.HelloModule\"]},"
                + "\"app\":{\"greeting\":\"Bonjour\"},\"masterwork\":{\"prefix\":\"" + dir + "\"}}");
        master.awaitReady(Duration.ofSeconds(60));
        HttpProbe.Response r = HttpProbe.get(master.address, "/");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).isEqualTo("Bonjour from worker " + master.pid + "\n");

        master.send(ChannelFrame.quit());
        WaitStatus status = master.awaitExit(Duration.ofSeconds(15));
        assertThat(status).isNotNull();
        assertThat(status.exitCode()).isZero();
    }
}
