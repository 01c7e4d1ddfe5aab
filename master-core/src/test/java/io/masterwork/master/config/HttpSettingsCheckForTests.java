package io.masterwork.master.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.masterwork.api.SettingsCheck;

import java.util.Set;

/**
 * A small "http" check registered for master-core's tests only (the real one lives in worker-core, which
 * master-core must not depend on): two keys, unknown ones rejected, a range checked.
 */
public final class HttpSettingsCheckForTests implements SettingsCheck {
    /** How often the master ran this check: never, since issue 23 (the workers run the applications' checks). */
    static final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public String section() {
        return "http";
    }

    @Override
    public Config defaults() {
        return ConfigFactory.parseString("keepalive_requests = 100\nbody = \"hello\"");
    }

    @Override
    public void check(Config section) {
        calls.incrementAndGet();
        for (String key : section.root().keySet()) {
            if (!Set.of("keepalive_requests", "body").contains(key)) {
                throw new ConfigException.BadValue(section.root().get(key).origin(), key, "unknown key");
            }
        }
        int n = section.getInt("keepalive_requests");
        if (n < 1) {
            throw new ConfigException.BadValue(section.getValue("keepalive_requests").origin(),
                    "keepalive_requests", "must be at least 1");
        }
    }
}
