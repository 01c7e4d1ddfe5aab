package io.masterwork.master.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StatusTableTest {
    private static final String STATUS = "{\"pid\":100,\"version\":\"1.2.3\",\"generation\":2,\"started_at\":\"2026-01-01T00:00:00Z\","
            + "\"uptime_seconds\":3725.5,\"listeners\":[\"127.0.0.1:8080\",\"[::1]:8080\"],\"desired_workers\":2,"
            + "\"reloading\":true,\"stopping\":false,\"reloads\":1,\"failed_reloads\":0,\"last_reload\":\"ok\",\"respawns_total\":4,"
            + "\"workers\":[{\"slot\":0,\"pid\":101,\"generation\":2,\"state\":\"ready\",\"uptime_seconds\":65.2,\"last_heartbeat_seconds_ago\":1.5,\"respawns\":4,"
            + "\"last_exit\":\"killed by signal 9 (SIGKILL)\"},"
            + "{\"slot\":12,\"pid\":null,\"generation\":2,\"state\":\"respawning\",\"uptime_seconds\":null,\"last_heartbeat_seconds_ago\":null,\"respawns\":0,\"last_exit\":null}]}";

    @Test
    void aPersonReadsTheMasterLineAndOneAlignedRowPerSlot() {
        String table = StatusTable.render(STATUS);
        assertThat(table).startsWith("master 100, masterwork 1.2.3, generation 2, up 1h 2m, reloading\n"
                + "listening on 127.0.0.1:8080, [::1]:8080\n"
                + "reloads 1 (0 failed), last reload: ok; respawns 4\n\n");
        assertThat(table).contains(
                "SLOT  PID  GEN  STATE       UPTIME  HEARTBEAT  RESPAWNS  LAST EXIT\n"
                + "0     101  2    ready       1m 5s   1.5s ago   4         killed by signal 9 (SIGKILL)\n"
                + "12    -    2    respawning  -       -          0         -\n");
    }

    @Test
    void sparesFollowTheWorkersAsRowsOfTheirOwn() {
        String withSpares = STATUS.substring(0, STATUS.length() - 1) + ",\"desired_spares\":1,\"spares\":[{\"spare\":0,"
                + "\"pid\":105,\"generation\":2,\"state\":\"ready\",\"uptime_seconds\":12.0}]}";
        String table = StatusTable.render(withSpares);
        assertThat(table).contains(
                "SLOT     PID  GEN  STATE       UPTIME  HEARTBEAT  RESPAWNS  LAST EXIT\n"
                + "0        101  2    ready       1m 5s   1.5s ago   4         killed by signal 9 (SIGKILL)\n"
                + "12       -    2    respawning  -       -          0         -\n"
                + "spare 0  105  2    ready       12s     -          -         -\n");
    }

    @Test
    void theSparesWantedAndWhyFollowTheHeading() {
        String withReason = STATUS.substring(0, STATUS.length() - 1) + ",\"desired_spares\":2,"
                + "\"spares_reason\":\"worker_spares = auto: one per worker (2)\",\"spares\":[]}";
        assertThat(StatusTable.render(withReason))
                .contains("respawns 4\nspares wanted 2: worker_spares = auto: one per worker (2)\n\nSLOT");
    }

    @Test
    void uptimesUseTheTwoLargestUnits() {
        assertThat(StatusTable.duration(0.4)).isEqualTo("0s");
        assertThat(StatusTable.duration(59)).isEqualTo("59s");
        assertThat(StatusTable.duration(3 * 86400 + 5 * 3600 + 7)).isEqualTo("3d 5h");
    }
}
