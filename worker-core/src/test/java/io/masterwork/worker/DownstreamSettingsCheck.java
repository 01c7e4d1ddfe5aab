package io.masterwork.worker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.masterwork.api.SettingsCheck;

/**
 * A downstream application's check of its own section, {@code app { name = "..." }}, registered as a service in
 * these tests' resources as an application jar registers it: ApplicationSettings must find and run it. (worker-core
 * tests no longer use examples/hello-app: hello-app's build packages its distribution from worker-core.)
 */
public final class DownstreamSettingsCheck implements SettingsCheck {
    @Override
    public String section() {
        return "app";
    }

    @Override
    public Config defaults() {
        return ConfigFactory.parseString("name = downstream");
    }

    @Override
    public void check(Config app) {
        if (app.getString("name").isBlank()) {
            throw new ConfigException.BadValue(app.getValue("name").origin(), "app.name", "must not be empty");
        }
    }
}
