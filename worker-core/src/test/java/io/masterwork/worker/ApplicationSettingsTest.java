package io.masterwork.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Issue 23 point 6: the applications' checks run in the worker, on the JSON the master rendered, and say the file and
 * line the master sent beside the values (masterwork.origins), in the master's {@code file:line: key: problem} form.
 */
class ApplicationSettingsTest {
    private static final String FILE = "/srv/mw/conf/masterwork.conf";

    private static WorkerConfiguration json(String sections, String origins) {
        return WorkerConfiguration.parse("{" + sections + (sections.isEmpty() ? "" : ",")
                + "\"masterwork\":{\"prefix\":\"/srv/mw\",\"config_file\":\"" + FILE + "\",\"origins\":{" + origins + "}}}", "test");
    }

    private static String at(int line) {
        return "{\"file\":\"" + FILE + "\",\"line\":" + line + "}";
    }

    @Test
    void aRefusalNamesTheFileLineAndKeyTheMasterSent() {
        WorkerConfiguration config = json("\"http\":{\"worker_connections\":0}",
                "\"http\":" + at(3) + ",\"http.worker_connections\":" + at(4));
        assertThatThrownBy(() -> ApplicationSettings.check(config))
                .isInstanceOf(ApplicationSettings.Rejected.class)
                .hasMessageStartingWith(FILE + ":4: http.worker_connections: ");
    }

    @Test
    void anUnknownKeyIsRefusedAtItsLine() {
        WorkerConfiguration config = json("\"http\":{\"keepalive_timot\":\"5s\"}",
                "\"http\":" + at(7) + ",\"http.keepalive_timot\":" + at(8));
        assertThatThrownBy(() -> ApplicationSettings.check(config))
                .hasMessageStartingWith(FILE + ":8: http.keepalive_timot: unknown key");
    }

    @Test
    void aDownstreamApplicationsCheckIsRunToo() {
        // DownstreamSettingsCheck (a service of these tests, as of an application's jar) checks app {}
        WorkerConfiguration config = json("\"app\":{\"name\":\"\"}", "\"app\":" + at(2) + ",\"app.name\":" + at(3));
        assertThatThrownBy(() -> ApplicationSettings.check(config)).hasMessage(FILE + ":3: app.name: must not be empty");
    }

    @Test
    void aGoodSectionGetsItsApplicationsDefaults() {
        WorkerConfiguration checked = ApplicationSettings.check(json("\"http\":{\"keepalive_requests\":7}", ""));
        assertThat(checked.section("http").getInt("keepalive_requests")).isEqualTo(7);
        assertThat(checked.section("http").getString("access_log")).isEqualTo("logs/access.log");
        assertThat(checked.prefix().toString()).isEqualTo("/srv/mw");
    }

    @Test
    void withoutOriginsTheConfigurationFileIsNamed() {
        assertThatThrownBy(() -> ApplicationSettings.check(json("\"http\":{\"worker_connections\":0}", "")))
                .hasMessageStartingWith(FILE + ": http.worker_connections: ");
    }
}
