package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.testkit.RunningMaster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 28: the commands that talk to a running master ({@code status}, {@code workers N}, {@code -s stop|quit|reopen})
 * find it through the pid file and the control socket alone, whatever the configuration file says after the start; with
 * no master, they say "no master running" and exit 1. {@code -s reload} still reports the file's errors.
 */
class ControlWithBadConfigurationIT {

    @ParameterizedTest
    @ValueSource(strings = {
            // an application's value its SettingsCheck refuses (hello-app: app.greeting must not be empty)
            "app {\n  greeting = \"\"\n}\n",
            // a value the master's own validation refuses: a worker_class_path jar that is not there
            "worker_class_path = [\"lib/missing-app.jar\"]\n"})
    void statusAndQuitWorkWhateverTheFileSaysAfterTheStart(String bad) throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            List<Integer> workers = master.awaitWorkers(2);
            Path conf = master.prefix().resolve("conf/masterwork.conf");
            Files.writeString(conf, Files.readString(conf) + bad);

            RunningMaster.CommandResult status = master.command("status");
            assertThat(status.exit()).as(status.output()).isZero();
            for (int worker : workers) {
                assertThat(status.output()).contains(String.valueOf(worker));
            }

            RunningMaster.CommandResult count = master.command("workers", "3");
            assertThat(count.exit()).as(count.output()).isZero();
            master.awaitWorkers(3);

            RunningMaster.CommandResult reopen = master.command("-s", "reopen");
            assertThat(reopen.exit()).as(reopen.output()).isZero();

            // reload is about the file: its errors are reported (by the CLI or by the master), and nothing changes
            RunningMaster.CommandResult reload = master.command("-s", "reload");
            assertThat(reload.exit()).as(reload.output()).isEqualTo(1);
            assertThat(reload.output()).contains(conf.toString());
            assertThat(master.isAlive()).isTrue();

            RunningMaster.CommandResult quit = master.command("-s", "quit");
            assertThat(quit.exit()).as(quit.output()).isZero();
            assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();

            // and with no master left
            RunningMaster.CommandResult none = master.command("status");
            assertThat(none.exit()).as(none.output()).isEqualTo(1);
            assertThat(none.output()).contains("no master running");
            for (String signal : List.of("quit", "stop", "reopen")) {
                RunningMaster.CommandResult noMaster = master.command("-s", signal);
                assertThat(noMaster.exit()).as(noMaster.output()).isEqualTo(1);
                assertThat(noMaster.output()).contains("no master running");
            }
            RunningMaster.CommandResult noWorkers = master.command("workers", "2");
            assertThat(noWorkers.exit()).as(noWorkers.output()).isEqualTo(1);
            assertThat(noWorkers.output()).contains("no master running");
        }
    }
}
