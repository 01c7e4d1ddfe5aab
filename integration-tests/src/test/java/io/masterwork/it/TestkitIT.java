package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.masterwork.examples.hello.HelloModule;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.KeepAliveLoad;
import io.masterwork.testkit.MasterworkExtension;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * masterwork-testkit's public surface as a downstream test uses it: the JUnit 5 extension starts a master with a
 * downstream application (examples/hello-app) and its {@code app {}} settings, and the test reloads it with new
 * settings under keep-alive load, kills a worker, and reads the process table.
 */
class TestkitIT {
    @RegisterExtension
    static final MasterworkExtension server = MasterworkExtension.of(
            RunningMaster.builder().workerModules(HelloModule.class).app("greeting = \"first\""));

    @Test
    void aReloadWithNewApplicationSettingsIsServedByTheNextGenerationWithoutALostRequest(RunningMaster master)
            throws Exception {
        assertThat(URI.create(master.baseUrl()).getPort()).isEqualTo(master.port());
        assertThat(URI.create(master.baseUrl()).getHost()).isEqualTo("127.0.0.1");
        assertThat(Http.get(master.port(), "/").text()).startsWith("first from worker ");
        List<Integer> firstGeneration = master.workers();

        KeepAliveLoad load = new KeepAliveLoad(master.port(), 4);
        master.reload("greeting = \"second\"");
        master.awaitGeneration(2);
        load.close();

        assertThat(load.failed.get()).as("%s", load).isZero();
        assertThat(load.ok.get()).as("%s", load).isPositive();
        assertThat(Http.get(master.port(), "/").text()).startsWith("second from worker ");
        assertThat(master.awaitWorkers(2)).doesNotContainAnyElementsOf(firstGeneration);
        assertThat(master.processTable()).contains("\"generation\":2");
    }

    @Test
    void aKilledWorkerIsReplacedAndOnlyTheMastersWorkersCanBeKilled() {
        int killed = master().killWorker();

        List<Integer> workers = awaitReplacement(master(), killed);

        assertThat(workers).hasSize(2).doesNotContain(killed);
        assertThat(ProcFs.exists(killed)).isFalse();
        assertThatThrownBy(() -> master().killWorker(master().pid())).isInstanceOf(AssertionError.class)
                .hasMessageContaining("is not a worker of master");
    }

    private static RunningMaster master() {
        return server.master();
    }

    private static List<Integer> awaitReplacement(RunningMaster master, int killed) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> !master.workers().contains(killed));
        return master.awaitWorkers(2);
    }
}
