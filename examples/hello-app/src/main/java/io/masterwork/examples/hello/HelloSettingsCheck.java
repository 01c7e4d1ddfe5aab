package io.masterwork.examples.hello;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.masterwork.api.SettingsCheck;

/** {@code app { greeting = "..." }}: run by every worker before the application starts, and by {@code -t}. */
public final class HelloSettingsCheck implements SettingsCheck {
    @Override
    public String section() {
        return "app";
    }

    @Override
    public Config defaults() {
        return ConfigFactory.parseString("greeting = Hello");
    }

    @Override
    public void check(Config app) {
        for (String key : app.root().keySet()) {
            if (!key.equals("greeting")) {
                throw new ConfigException.BadValue(app.getValue(key).origin(), "app." + key, "unknown key (known: greeting)");
            }
        }
        if (app.getString("greeting").isBlank()) {
            throw new ConfigException.BadValue(app.getValue("greeting").origin(), "app.greeting", "must not be empty");
        }
    }
}
