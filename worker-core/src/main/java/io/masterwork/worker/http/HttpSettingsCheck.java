package io.masterwork.worker.http;

import com.typesafe.config.Config;
import io.masterwork.api.SettingsCheck;

/** The check of {@code http { }}, run by each worker at start and by {@code -t} (registered in META-INF/services). */
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
