package io.masterwork.master.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import io.masterwork.api.SettingsCheck;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the applications' own checks of the {@code http {}} and {@code app {}} sections. master-core does
 * not know those keys: every {@link SettingsCheck} on the worker class path owns one section, supplies its
 * defaults (merged under the user's values) and rejects what is wrong. A non-empty section that no check
 * claims is an error: its keys would otherwise go unvalidated.
 */
final class SectionChecks {
    static final List<String> APPLICATION_SECTIONS = List.of("http", "app");

    private final Path file;
    private final ClassLoader workerLoader;

    SectionChecks(Path file, ClassLoader workerLoader) {
        this.file = file;
        this.workerLoader = workerLoader;
    }

    /** Returns {@code merged} with each application section replaced by its checked, defaults-filled form. */
    Config apply(Config merged) {
        Map<String, List<SettingsCheck>> bySection = new LinkedHashMap<>();
        try {
            for (SettingsCheck check : ServiceLoader.load(SettingsCheck.class, workerLoader)) {
                bySection.computeIfAbsent(check.section(), s -> new ArrayList<>()).add(check);
            }
        } catch (ServiceConfigurationError e) {
            throw new ConfigurationException(file.toString(), -1, "worker_class_path",
                    "cannot load a SettingsCheck from the worker class path: " + e.getMessage(), e);
        }
        Config result = merged;
        for (String section : APPLICATION_SECTIONS) {
            ConfigValue userValue = merged.root().get(section);
            ConfigObject user = (ConfigObject) userValue;
            List<SettingsCheck> checks = bySection.getOrDefault(section, List.of());
            if (checks.isEmpty()) {
                if (!user.isEmpty()) {
                    throw ConfigurationException.at(user.origin(), file, section,
                            "no application on the worker class path checks section \"" + section
                                    + "\" (add its jar to worker_class_path)");
                }
                continue;
            }
            Config sectionConfig = user.toConfig();
            for (SettingsCheck check : checks) {
                sectionConfig = sectionConfig.withFallback(defaultsOf(check, section));
            }
            for (SettingsCheck check : checks) {
                run(check, section, sectionConfig);
            }
            result = result.withValue(section, sectionConfig.root());
        }
        return result;
    }

    private static final Pattern BAD_VALUE = Pattern.compile("Invalid value at '([^']+)': (.*)", Pattern.DOTALL);
    private static final Pattern WRONG_TYPE = Pattern.compile("([^\\s]+) has type .*", Pattern.DOTALL);

    /**
     * Typesafe's exceptions carry the key only inside their message ("Invalid value at 'keepalive_timeout': ...");
     * lift it out so the error names {@code http.keepalive_timeout}, whether the check wrote the path
     * relative to its section or not.
     */
    private static ConfigurationException withKeyFromMessage(ConfigurationException plain, String section, ConfigException cause) {
        String problem = plain.problem();
        String key = null;
        Matcher bad = BAD_VALUE.matcher(problem);
        Matcher wrong = WRONG_TYPE.matcher(problem);
        if (bad.matches()) {
            key = bad.group(1);
            problem = bad.group(2);
        } else if (wrong.matches()) {
            key = wrong.group(1);
        }
        if (key == null) {
            return plain;
        }
        if (!key.startsWith(section + ".")) {
            key = section + "." + key;
        }
        return new ConfigurationException(plain.file(), plain.line(), key, problem, cause);
    }

    private Config defaultsOf(SettingsCheck check, String section) {
        try {
            Config d = check.defaults();
            return d == null ? ConfigFactory.empty() : d;
        } catch (RuntimeException e) {
            throw new ConfigurationException(file.toString(), -1, section,
                    check.getClass().getName() + ".defaults() failed: " + e, e);
        }
    }

    private void run(SettingsCheck check, String section, Config sectionConfig) {
        try {
            check.check(sectionConfig);
        } catch (ConfigException e) {
            ConfigurationException plain = ConfigLoader.fromTypesafe(e, file, section);
            throw withKeyFromMessage(plain, section, e);
        } catch (RuntimeException e) {
            throw new ConfigurationException(file.toString(), -1, section,
                    check.getClass().getName() + " rejected the section: " + e.getMessage(), e);
        }
    }
}
