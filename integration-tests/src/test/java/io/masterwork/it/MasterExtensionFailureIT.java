package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.RunningMaster;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A master extension (a plug-in in {@code modules.master}) that throws an Error, or hands the master loop a descriptor
 * that is not open, is logged; the master goes on without that part of it.
 */
class MasterExtensionFailureIT {
    @Test
    void anExtensionThatThrowsAnErrorOrHandsAClosedDescriptorDoesNotEndTheMaster() throws Exception {
        try (RunningMaster master = RunningMaster.start("modules { master = [\"io.masterwork.it.faults.FailingExtensionModule\"] }")) {
            master.awaitWorkers(2);
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(40)).until(() -> master.errorLog().contains("reload complete") || !master.isAlive());
            assertThat(master.isAlive()).as(master.errorLog()).isTrue();
            assertThat(master.errorLog()).contains("error while handling FailingExtension: java.lang.NoClassDefFoundError: "
                    + "io/example/MissingPluginClass");

            // From now on the extension hands the loop a descriptor that is not open: poll says POLLNVAL.
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().contains(
                    "FailingExtension handed the master loop descriptor 4000, which is not open; it is not polled any more"));
            master.signal("TTIN");
            master.awaitWorkers(3);
            assertThat(master.isAlive()).isTrue();
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":2");
        }
    }
}
