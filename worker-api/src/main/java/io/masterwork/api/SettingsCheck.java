package io.masterwork.api;

import com.typesafe.config.Config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * An application's own check of its configuration section ({@code http { }} for the built-in
 * application, {@code app { }} for a downstream one).
 *
 * <p>Application code never runs in the master, which usually runs as root: every implementation is found with
 * {@link java.util.ServiceLoader} on the worker class path (the distribution's {@code lib/} plus
 * {@code worker_class_path}) by the workers themselves, as the worker user, before the application starts; and by
 * {@code masterwork -t} in a short-lived process of the worker user with the same class path. A mistake is reported
 * as {@code file:line: key: problem} like any other configuration error: {@code -t} fails, a reload is refused (the
 * old workers go on serving), a first start ends the master with status 1. Register an implementation in
 * {@code META-INF/services/io.masterwork.api.SettingsCheck}, and override one of the two {@code check} methods.
 */
public interface SettingsCheck {

    /**
     * What a check may know besides its section: where the server runs and as whom.
     *
     * @param prefix     the prefix every relative path of the configuration is resolved against (absolute)
     * @param workerUser the user the workers run as, when the master switches to one ({@code user}); empty when
     *                   the workers run as the master's own user
     * @param configFile the configuration file that holds the section
     */
    record Context(Path prefix, Optional<String> workerUser, Path configFile) {
    }

    /**
     * Which section of the configuration this check owns.
     *
     * @return the top-level key, e.g. {@code "http"} or {@code "app"}
     */
    String section();

    /**
     * What the section holds when the configuration does not say; the worker's
     * {@link ApplicationContext#settings(String)} has them filled in too.
     *
     * @return the section's defaults; the user's values are merged over them before {@link #check}
     */
    Config defaults();

    /**
     * Validates the section (defaults already merged in). Throws a
     * {@link com.typesafe.config.ConfigException} that names the key (use
     * {@code new ConfigException.BadValue(section.origin(), key, why)} or let a typed getter throw), so
     * that file, line and key are reported. The default does nothing: a check overrides this one or
     * {@link #check(Config, Context)}.
     *
     * @param section the section with its defaults merged in
     * @throws com.typesafe.config.ConfigException naming the key, when the section is not acceptable
     */
    default void check(Config section) {
    }

    /**
     * As {@link #check(Config)}, with the {@link Context} (the prefix, the worker user): for a check that must
     * resolve a path or know who will read it. Runs as the worker user. The default calls {@link #check(Config)}.
     *
     * @param section the section with its defaults merged in
     * @param context where the server runs and as whom
     * @throws com.typesafe.config.ConfigException naming the key, when the section is not acceptable
     */
    default void check(Config section, Context context) {
        check(section);
    }
}
