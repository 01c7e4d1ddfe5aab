package io.masterwork.master.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** status_listen and status_auth: off by default, an address of its own, a readable htpasswd file that parses. */
class StatusSettingsTest {
    @TempDir
    Path prefix;

    private MasterConfiguration config(String extra) throws Exception {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), "listen = \"127.0.0.1:8080\"\n" + extra + "\n");
        return ConfigLoader.load(Path.of("conf/masterwork.conf"), prefix);
    }

    @Test
    void offByDefault() throws Exception {
        assertThat(config("").statusListen()).isEmpty();
        assertThat(config("").statusAuth()).isEmpty();
        assertThat(config("status_listen = off\nstatus_auth = off").statusListen()).isEmpty();
    }

    @Test
    void anAddressAsInListenButNotOneOfListens() throws Exception {
        assertThat(config("status_listen = \"127.0.0.1:9145\"").statusListen())
                .contains(new InetSocketAddress("127.0.0.1", 9145));
        assertThat(config("status_listen = \"[::1]:9145\"").statusListen()).isPresent();
        assertThatThrownBy(() -> config("status_listen = \"127.0.0.1:8080\""))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("masterwork.conf:2")
                .hasMessageContaining("status_listen").hasMessageContaining("also in listen");
        assertThatThrownBy(() -> config("status_listen = \"127.0.0.1:99999\""))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("status_listen")
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> config("status_listen = [1, 2]"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("status_listen");
    }

    @Test
    void statusAuthMustBeAReadableHtpasswdFileThatParses() throws Exception {
        Files.writeString(prefix.resolve("users"), "alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n");
        assertThat(config("status_auth = users").statusAuth()).contains(prefix.resolve("users"));
        assertThatThrownBy(() -> config("status_auth = missing"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("status_auth")
                .hasMessageContaining("not a readable file");
        Files.writeString(prefix.resolve("users"), "alice:$apr1$x$y\n");
        assertThatThrownBy(() -> config("status_auth = users"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("status_auth")
                .hasMessageContaining("users:1").hasMessageContaining("neither bcrypt");
    }
}
