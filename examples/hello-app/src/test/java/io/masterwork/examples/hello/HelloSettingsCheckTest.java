package io.masterwork.examples.hello;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.masterwork.api.SettingsCheck;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HelloSettingsCheckTest {
    private final HelloSettingsCheck check = new HelloSettingsCheck();

    @Test
    void theMasterFindsItThroughTheServiceLoader() {
        assertThat(ServiceLoader.load(SettingsCheck.class).stream().map(p -> p.type().getName()).toList())
                .contains(HelloSettingsCheck.class.getName());
        assertThat(check.section()).isEqualTo("app");
    }

    @Test
    void theDefaultsPass() {
        check.check(check.defaults());
        assertThat(check.defaults().getString("greeting")).isEqualTo("Hello");
    }

    @Test
    void anEmptyGreetingIsRefusedByName() {
        assertThatThrownBy(() -> check.check(ConfigFactory.parseString("greeting = \"  \"")))
                .isInstanceOf(ConfigException.BadValue.class).hasMessageContaining("app.greeting");
    }

    @Test
    void aTypoIsAnUnknownKey() {
        assertThatThrownBy(() -> check.check(ConfigFactory.parseString("greting = Hi").withFallback(check.defaults())))
                .isInstanceOf(ConfigException.BadValue.class).hasMessageContaining("app.greting");
    }
}
