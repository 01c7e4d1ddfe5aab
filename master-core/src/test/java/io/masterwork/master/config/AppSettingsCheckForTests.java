package io.masterwork.master.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.masterwork.api.SettingsCheck;

/**
 * An "app" check that is NOT registered on the test class path: a test registers it through a
 * worker_class_path directory holding only the META-INF/services entry, as a downstream jar would.
 */
public final class AppSettingsCheckForTests implements SettingsCheck {
    @Override
    public String section() {
        return "app";
    }

    @Override
    public Config defaults() {
        return ConfigFactory.parseString("greeting = hi");
    }

    @Override
    public void check(Config section) {
        if (section.getString("greeting").isBlank()) {
            throw new ConfigException.BadValue(section.getValue("greeting").origin(), "greeting", "must not be blank");
        }
    }
}
