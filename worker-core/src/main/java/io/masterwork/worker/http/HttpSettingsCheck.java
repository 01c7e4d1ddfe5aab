package io.masterwork.worker.http;

import com.typesafe.config.Config;
import io.masterwork.api.SettingsCheck;

/** The master's check of {@code http { }} for {@code -t} and reload (registered in META-INF/services). */
public final class HttpSettingsCheck implements SettingsCheck {

    @Override
    public String section() {
        return HttpSettings.SECTION;
    }

    @Override
    public Config defaults() {
        return HttpSettings.DEFAULTS;
    }

    @Override
    public void check(Config section) {
        HttpSettings.from(section);
    }
}
