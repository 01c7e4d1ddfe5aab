package io.masterwork.api;

import com.typesafe.config.Config;

/**
 * An application's own check of its configuration section ({@code http { }} for the built-in
 * application, {@code app { }} for a downstream one).
 *
 * <p>The master finds every implementation with {@link java.util.ServiceLoader} on the worker class
 * path (the distribution's {@code lib/} plus {@code worker_class_path}) and runs it for {@code -t} and
 * before a reload, so a mistake in an application's settings is reported like any other
 * configuration error and nothing starts. Register an implementation in
 * {@code META-INF/services/io.masterwork.api.SettingsCheck}.
 */
public interface SettingsCheck {

    /** The top-level key this check owns, e.g. {@code "http"} or {@code "app"}. */
    String section();

    /** The section's defaults; the master merges the user's values over them before {@link #check}. */
    Config defaults();

    /**
     * Validates the section (defaults already merged in). Throws a
     * {@link com.typesafe.config.ConfigException} that names the key (use
     * {@code new ConfigException.BadValue(section.origin(), key, why)} or let a typed getter throw), so
     * the master can report file, line and key.
     */
    void check(Config section);
}
