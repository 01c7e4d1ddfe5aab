package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.masterwork.examples.hello.HelloModule;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.MasterworkExtension;
import io.masterwork.testkit.RunningMaster;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * masterwork-testkit's public surface where hello-app's own {@code HelloServerIT} does not reach it: the JUnit 5
 * extension starts a master with a downstream application and its {@code app {}} settings, and the test reads its
 * base URL and process table and cannot kill what is not a worker. A reload with new application settings (on a
 * kept-alive connection, without a lost request) and a killed worker's replacement are HelloServerIT's, which the
 * same {@code ./mvnw verify} runs.
 */
class TestkitIT {
    @RegisterExtension
    static final MasterworkExtension server = MasterworkExtension.of(
            RunningMaster.builder().workerModules(HelloModule.class).app("greeting = \"first\""));

    @Test
    void theExtensionsMasterServesTheApplicationsSettingsShowsItsTableAndKillsOnlyItsWorkers(RunningMaster master)
            throws Exception {
        assertThat(URI.create(master.baseUrl()).getPort()).isEqualTo(master.port());
        assertThat(URI.create(master.baseUrl()).getHost()).isEqualTo("127.0.0.1");
        assertThat(Http.get(master.port(), "/").text()).startsWith("first from worker ");
        assertThat(master.processTable()).contains("\"generation\":1");
        for (int worker : master.workers()) {
            assertThat(master.processTable()).contains("\"pid\":" + worker);
        }

        assertThatThrownBy(() -> master.killWorker(master.pid())).isInstanceOf(AssertionError.class)
                .hasMessageContaining("is not a worker of master");
        assertThat(server.master()).isSameAs(master);
    }
}
