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
    /** How often the master ran this check: never, since issue 23 (the workers run the applications' checks). */
    static final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

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
        calls.incrementAndGet();
        if (section.getString("greeting").isBlank()) {
            throw new ConfigException.BadValue(section.getValue("greeting").origin(), "greeting", "must not be blank");
        }
    }
}
