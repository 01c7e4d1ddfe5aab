package io.masterwork.worker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.masterwork.api.SettingsCheck;
import io.masterwork.channel.SpawnContract;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The applications' own checks of the {@code http {}} and {@code app {}} sections, run where application code runs
 * anyway: in a worker, as the worker user, before its application starts (and in {@code masterwork -t}'s short-lived
 * check process), never in the master. Every {@link SettingsCheck} on the worker class path owns one section,
 * supplies its defaults (merged under the user's values) and rejects what is wrong. A non-empty section that no check
 * claims is an error: its keys would otherwise go unvalidated.
 *
 * <p>The master renders the configuration as JSON, which has no lines; it sends the file and line of every value of
 * these sections beside them ({@code masterwork.origins}, {@code masterwork.config_file}), and they are put back on
 * the values here, so that a check's error reads {@code file:line: key: problem} exactly as the master's own.
 */
public final class ApplicationSettings {
    static final List<String> SECTIONS = List.of("http", "app");
    /** Where the master puts the origins: {@code { "<joined path>": { file: ..., line: n } }}. */
    static final String ORIGINS = SpawnContract.CONFIG_ORIGINS_KEY;
    static final String CONFIG_FILE = SpawnContract.CONFIG_FILE_KEY;

    /** A section an application rejected; the message is {@code file:line: key: problem}. */
    public static final class Rejected extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Rejected(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Path file;
    private final Map<String, ConfigOrigin> origins;
    private final SettingsCheck.Context context;

    private ApplicationSettings(Config config) {
        this.file = Path.of(config.hasPath(CONFIG_FILE) ? config.getString(CONFIG_FILE) : "configuration");
        this.origins = origins(config);
        Path prefix = config.hasPath("masterwork.prefix") ? Path.of(config.getString("masterwork.prefix"))
                : Path.of("").toAbsolutePath();
        Optional<String> user = config.hasPath("masterwork.worker_user")
                ? Optional.of(config.getString("masterwork.worker_user")) : Optional.empty();
        this.context = new SettingsCheck.Context(prefix, user, file);
    }

    /**
     * Runs every check on {@code configuration}'s application sections with the class loader of this thread and
     * returns the configuration with each section replaced by its checked, defaults-filled form.
     *
     * @throws Rejected with the {@code file:line: key: problem} message
     */
    public static WorkerConfiguration check(WorkerConfiguration configuration) {
        Config checked = new ApplicationSettings(configuration.config()).apply(configuration.config(),
                Thread.currentThread().getContextClassLoader());
        return WorkerConfiguration.of(checked);
    }

    private Config apply(Config config, ClassLoader loader) {
        Map<String, List<SettingsCheck>> bySection = new LinkedHashMap<>();
        try {
            for (SettingsCheck check : ServiceLoader.load(SettingsCheck.class, loader)) {
                bySection.computeIfAbsent(check.section(), s -> new ArrayList<>()).add(check);
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            throw rejected(file.toString(), -1, "worker_class_path",
                    "cannot load a SettingsCheck from the worker class path: " + e.getMessage(), e);
        }
        Config result = config;
        for (String section : SECTIONS) {
            ConfigValue value = config.root().get(section);
            ConfigObject user = value != null && value.valueType() == ConfigValueType.OBJECT
                    ? (ConfigObject) withOrigins(value, List.of(section)) : ConfigFactory.empty().root();
            List<SettingsCheck> checks = bySection.getOrDefault(section, List.of());
            if (checks.isEmpty()) {
                if (!user.isEmpty()) {
                    throw at(user.origin(), section, "no application on the worker class path checks section \""
                            + section + "\" (add its jar to worker_class_path)", null);
                }
                continue;
            }
            Config sectionConfig = user.toConfig();
            for (SettingsCheck check : checks) {
                sectionConfig = sectionConfig.withFallback(defaultsOf(check, section));
            }
            for (SettingsCheck check : checks) {
                run(check, section, sectionConfig, user.origin());
            }
            result = result.withValue(section, sectionConfig.root());
        }
        return result;
    }

    private Config defaultsOf(SettingsCheck check, String section) {
        try {
            Config d = check.defaults();
            return d == null ? ConfigFactory.empty() : d;
        } catch (RuntimeException | LinkageError e) {
            throw rejected(file.toString(), -1, section, check.getClass().getName() + ".defaults() failed: " + e, e);
        }
    }

    /** A refusal without a key of its own (an exception, an Error) is reported at the section's line. */
    private void run(SettingsCheck check, String section, Config sectionConfig, ConfigOrigin sectionOrigin) {
        try {
            check.check(sectionConfig, context);
        } catch (ConfigException e) {
            throw fromTypesafe(e, section);
        } catch (RuntimeException e) {
            throw at(sectionOrigin, section, check.getClass().getName() + " rejected the section: " + e.getMessage(), e);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Error e) {
            // An application's Error (an assertion, a missing class) is its refusal too, not a crash of the checker.
            throw at(sectionOrigin, section, check.getClass().getName() + " failed checking the section: " + e, e);
        }
    }

    private static final Pattern BAD_VALUE = Pattern.compile("Invalid value at '([^']+)': (.*)", Pattern.DOTALL);
    private static final Pattern WRONG_TYPE = Pattern.compile("([^\\s]+) has type .*", Pattern.DOTALL);

    /**
     * Typesafe's exceptions carry the key only inside their message ("Invalid value at 'keepalive_timeout': ...");
     * lift it out so the error names {@code http.keepalive_timeout}, whether the check wrote the path relative to
     * its section or not.
     */
    private Rejected fromTypesafe(ConfigException e, String section) {
        ConfigOrigin origin = e.origin();
        String problem = e.getMessage();
        if (origin != null && problem.startsWith(origin.description() + ": ")) {
            problem = problem.substring(origin.description().length() + 2);
        }
        String key = section;
        Matcher bad = BAD_VALUE.matcher(problem);
        Matcher wrong = WRONG_TYPE.matcher(problem);
        if (bad.matches()) {
            key = bad.group(1);
            problem = bad.group(2);
        } else if (wrong.matches()) {
            key = wrong.group(1);
        }
        if (!key.equals(section) && !key.startsWith(section + ".")) {
            key = section + "." + key;
        }
        return at(origin, key, problem, e);
    }

    private Rejected at(ConfigOrigin origin, String key, String problem, Throwable cause) {
        String where = origin != null && origin.filename() != null ? origin.filename() : file.toString();
        int line = origin != null && origin.filename() != null ? origin.lineNumber() : -1;
        return rejected(where, line, key, problem, cause);
    }

    /** The master's format (ConfigurationException): {@code file[:line]: [key: ]problem}, each part bounded. */
    static Rejected rejected(String file, int line, String key, String problem, Throwable cause) {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (key != null && !key.isEmpty()) {
            sb.append(abbreviated(key)).append(": ");
        }
        return new Rejected(sb.append(abbreviated(problem)).toString(), cause);
    }

    private static String abbreviated(String text) {
        int max = 400;
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, max) + "… (" + text.length() + " characters)";
    }

    // ---- the origins the master sent ------------------------------------------------------------------------

    private static Map<String, ConfigOrigin> origins(Config config) {
        Map<String, ConfigOrigin> out = new HashMap<>();
        if (!config.hasPath(ORIGINS)) {
            return out;
        }
        ConfigObject all = config.getObject(ORIGINS);
        for (Map.Entry<String, ConfigValue> e : all.entrySet()) {
            if (e.getValue() instanceof ConfigObject o && o.get("file") != null) {
                ConfigOrigin origin = ConfigOriginFactory.newFile(String.valueOf(o.get("file").unwrapped()));
                if (o.get("line") != null && o.get("line").unwrapped() instanceof Number n && n.intValue() > 0) {
                    origin = origin.withLineNumber(n.intValue());
                }
                out.put(e.getKey(), origin);
            }
        }
        return out;
    }

    /** {@code value} and everything in it with the file and line the master read them from. */
    private ConfigValue withOrigins(ConfigValue value, List<String> path) {
        ConfigValue out = value;
        if (value instanceof ConfigObject object) {
            ConfigObject rebuilt = object;
            for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
                List<String> childPath = new ArrayList<>(path);
                childPath.add(e.getKey());
                rebuilt = rebuilt.withValue(e.getKey(), withOrigins(e.getValue(), childPath));
            }
            out = rebuilt;
        }
        ConfigOrigin origin = origins.get(ConfigUtil.joinPath(path));
        return origin == null ? out : out.withOrigin(origin);
    }
}
