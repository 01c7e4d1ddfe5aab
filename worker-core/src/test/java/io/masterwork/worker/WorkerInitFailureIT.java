package io.masterwork.worker;

import io.masterwork.posix.WaitStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Whatever stops a worker from initialising ends it with status 2 and a log line that says why. */
class WorkerInitFailureIT extends WorkerProcessTest {

    private void expectExit2(String why) {
        WaitStatus status = master.awaitExit(Duration.ofSeconds(60));
        assertThat(status).as("worker still running; log:\n%s", master.errorLogText()).isNotNull();
        assertThat(status.exited()).isTrue();
        assertThat(status.exitCode()).as(master.errorLogText()).isEqualTo(2);
        assertThat(master.errorLogText()).contains("[emerg]").contains("worker init failed").contains(why);
    }

    @Test
    void aListenerDescriptorThatIsNotThere() {
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson("\"access_log\":\"off\""), System.getProperty("java.class.path"),
                List.of("--slot=0", "--generation=1", "--master-pid=1", "--listeners=2"), 1);
        // The JVM itself may have taken the free number 7 before main (it opens its own files): either way, refused.
        expectExit2("descriptor 7 (listener 1) is not");
    }

    @Test
    void aConfigurationThatIsNotJson() {
        master = MasterStandIn.create(dir);
        master.spawn("{ this is : not json");
        expectExit2("is not valid JSON");
    }

    @Test
    void aMissingArgument() {
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson(""), System.getProperty("java.class.path"),
                List.of("--slot=0", "--generation=1", "--listeners=1"), 1);
        expectExit2("missing argument --master-pid");
    }

    @Test
    void anUnknownWorkerModule() {
        master = MasterStandIn.create(dir);
        master.spawn("{\"modules\":{\"worker\":[\"com.example.NoSuchModule\"]},\"http\":{\"access_log\":\"off\"}}");
        expectExit2("modules.worker: class com.example.NoSuchModule not found");
    }

    @Test
    void credentialsThatCannotBeTaken() {
        master = MasterStandIn.create(dir);
        // -1 is no group at all: setgroups refuses it (as root: EINVAL; as anyone else: EPERM first).
        master.spawn("{\"masterwork\":{\"prefix\":\"" + dir + "\",\"worker_uid\":65534,\"worker_gid\":65534,"
                + "\"worker_groups\":[-1]},\"http\":{\"access_log\":\"off\"}}");
        expectExit2("cannot switch to uid 65534 gid 65534");
    }

    @Test
    void anInvalidHttpSetting() {
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson("\"keepalive_requests\":-1,\"access_log\":\"off\""));
        expectExit2("http.keepalive_requests");
    }

    @Test
    void anAccessLogThatCannotBeOpened() {
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson("\"access_log\":\"/proc/no/such/dir/access.log\""));
        expectExit2("cannot open the access log /proc/no/such/dir/access.log");
    }
}
