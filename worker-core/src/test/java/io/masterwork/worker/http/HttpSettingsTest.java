package io.masterwork.worker.http;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.masterwork.api.SettingsCheck;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpSettingsTest {
    private final HttpSettingsCheck check = new HttpSettingsCheck();

    @Test
    void defaultsAreNginxs() {
        HttpSettings s = HttpSettings.from(ConfigFactory.empty());
        assertThat(s.keepaliveTimeout()).isEqualTo(Duration.ofSeconds(75));
        assertThat(s.keepaliveRequests()).isEqualTo(1000);
        assertThat(s.workerConnections()).isEqualTo(1024);
        assertThat(s.clientHeaderTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.clientMaxHeaderSize()).isEqualTo(8192);
        assertThat(s.sendTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.accessLog()).isEqualTo("logs/access.log");
        check.check(check.defaults());
    }

    @Test
    void aBareNumberIsSecondsAsInNginx() {
        assertThat(HttpSettings.from(ConfigFactory.parseString("keepalive_timeout = 5")).keepaliveTimeout())
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(HttpSettings.from(ConfigFactory.parseString("send_timeout = 500ms")).sendTimeout())
                .isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void errorsNameTheKey() {
        assertThatThrownBy(() -> check.check(ConfigFactory.parseString("keepalive_timout = 5s")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("http.keepalive_timout").hasMessageContaining("unknown key");
        assertThatThrownBy(() -> check.check(ConfigFactory.parseString("worker_connections = 0")))
                .hasMessageContaining("http.worker_connections");
        assertThatThrownBy(() -> check.check(ConfigFactory.parseString("client_header_timeout = soon")))
                .hasMessageContaining("http.client_header_timeout");
        assertThatThrownBy(() -> check.check(ConfigFactory.parseString("client_max_header_size = 10")))
                .hasMessageContaining("http.client_max_header_size");
        assertThatThrownBy(() -> check.check(ConfigFactory.parseString("max_bytes = lots")))
                .hasMessageContaining("http.max_bytes");
        assertThatThrownBy(() -> check.check(ConfigFactory.parseString("send_timeout = 0s")))
                .hasMessageContaining("http.send_timeout");
    }

    @Test
    void theMasterFindsTheCheckThroughTheServiceLoader() {
        assertThat(ServiceLoader.load(SettingsCheck.class).stream().map(p -> p.type().getName()).toList())
                .contains(HttpSettingsCheck.class.getName());
        assertThat(check.section()).isEqualTo("http");
    }
}
