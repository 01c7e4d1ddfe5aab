package io.masterwork.master.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.Rlimit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.OptionalInt;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads a masterwork configuration file on its own (never {@code ConfigFactory.load()}, which would overlay
 * JVM system properties: {@code user} would become an object), fills in the defaults of
 * {@code defaults.conf}, and validates every key. Each mistake is a {@link ConfigurationException} naming
 * file, line and key; nothing is silently ignored.
 */
public final class ConfigLoader {
    static final String DEFAULTS_RESOURCE = "io/masterwork/master/config/defaults.conf";

    /** nginx's error_log levels, least severe first. */
    public static final List<String> LOG_LEVELS =
            List.of("debug", "info", "notice", "warn", "error", "crit", "alert", "emerg");

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern CLASS_NAME = Pattern.compile("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*");
    private static final Pattern CPU_MASK = Pattern.compile("[01]+");
    private static final int MAX_WORKER_PROCESSES = 1024;

    private final Path file;
    private final Path prefix;
    private Config merged;

    private ConfigLoader(Path file, Path prefix) {
        this.prefix = prefix.toAbsolutePath().normalize();
        this.file = this.prefix.resolve(file).normalize();
    }

    /**
     * Loads {@code file} (relative paths resolve against {@code prefix}) and validates every key the master knows; the
     * {@code http} and {@code app} sections only as sections (their applications check them as the worker user).
     */
    public static MasterConfiguration load(Path file, Path prefix) {
        ConfigLoader loader = new ConfigLoader(file, prefix);
        try {
            return loader.load();
        } catch (StackOverflowError e) {
            // Typesafe Config parses and resolves recursively: a runaway nesting ("a = [[[[…") would otherwise
            // end the master on a reload instead of being refused like any other error in the file.
            throw new ConfigurationException(loader.file.toString(), -1, null,
                    "nested too deeply to be read (a runaway [ or { ?)");
        }
    }

    /** Where the running master is found: its pid file and its control socket (empty when {@code off}). */
    public record ControlKeys(Path pidFile, Optional<Path> controlSocket) {
    }

    /**
     * Only {@code pid} and {@code control_socket}, for the commands that talk to a running master ({@code status},
     * {@code -s}): an operator must be able to see and stop a master whatever else the file now says. Each key the
     * file does not hold, or that cannot be read from it (the file is missing, unreadable or broken, or the key's
     * value is wrong), is its default.
     */
    public static ControlKeys controlKeys(Path file, Path prefix) {
        ConfigLoader loader = new ConfigLoader(file, prefix);
        Config user;
        try {
            user = loader.parse();
        } catch (ConfigurationException | StackOverflowError e) {
            user = ConfigFactory.empty();
        }
        ConfigLoader defaults = new ConfigLoader(file, prefix);
        defaults.merged = defaults();
        loader.merged = user.withFallback(defaults.merged);
        Path pid;
        try {
            pid = loader.path("pid");
        } catch (RuntimeException e) { // a wrong value of the key: its default
            pid = defaults.path("pid");
        }
        Optional<Path> socket;
        try {
            socket = loader.controlSocket();
        } catch (RuntimeException e) { // a wrong value of the key: its default
            socket = defaults.controlSocket();
        }
        return new ControlKeys(pid, socket);
    }

    /** The schema with its defaults, as shipped in master-core. */
    public static Config defaults() {
        return ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), DEFAULTS_RESOURCE,
                ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF));
    }

    private MasterConfiguration load() {
        Config user = parse();
        Config defaults = defaults();
        rejectUnknownKeys(user.root(), defaults.root(), "");
        merged = user.withFallback(defaults);

        MasterConfiguration.Builder b = new MasterConfiguration.Builder();
        b.prefix = prefix;
        b.configFile = file;
        b.workerProcesses = workerProcesses();
        b.workerCpuAffinity = workerCpuAffinity(b.workerProcesses);
        b.workerPriority = intInRange("worker_priority", -20, 19);
        b.workerRlimitNofile = rlimitNofile();
        b.workerRlimitCore = rlimitCore();
        b.workerShutdownTimeout = duration("worker_shutdown_timeout");
        // workers read the rendered configuration with Typesafe's duration syntax, which knows neither
        // "1m30s" nor bare seconds: hand them one unambiguous form
        merged = merged.withValue("worker_shutdown_timeout", ConfigValueFactory.fromAnyRef(
                b.workerShutdownTimeout.toMillis() + "ms", raw("worker_shutdown_timeout").origin().description()));
        b.workerReadyTimeout = duration("worker_ready_timeout");
        if (b.workerReadyTimeout.isZero()) {
            throw invalid(merged.getValue("worker_ready_timeout"), "worker_ready_timeout", "must be positive");
        }
        b.workerWatchdogTimeout = durationOrOff("worker_watchdog_timeout");
        b.workerCrashLimit = intOrOff("worker_crash_limit", 1, 1_000_000);
        b.workerCrashWindow = duration("worker_crash_window");
        b.workerRespawnBackoff = duration("worker_respawn_backoff");
        b.workerRespawnBackoffMax = duration("worker_respawn_backoff_max");
        if (b.workerRespawnBackoffMax.compareTo(b.workerRespawnBackoff) < 0) {
            throw invalid(merged.getValue("worker_respawn_backoff_max"), "worker_respawn_backoff_max",
                    "must not be shorter than worker_respawn_backoff");
        }
        b.workerSpares = workerSpares();
        b.workerSparesIdle = sparePriority();
        b.workerJvmOptions = stringList("worker_jvm_options");
        b.workerEnvironment = environment();
        b.workerClassPath = workerClassPath();
        parseUser(b);
        b.pidFile = path("pid");
        parseErrorLog(b);
        b.controlSocket = controlSocket();
        b.daemon = bool("daemon");
        b.connectionHandover = bool("connection_handover");
        b.listen = listen();
        b.statusListen = statusListen(b.listen);
        b.statusAuth = statusAuth();

        WorkerClassPath workerLoader = new WorkerClassPath(b.workerClassPath);
        try (workerLoader) {
            b.masterModules = moduleList("modules.master", ConfigLoader.class.getClassLoader());
            b.workerModules = moduleList("modules.worker", workerLoader.classLoader());
            // The http {} and app {} sections are the applications': their SettingsChecks run as the worker user,
            // in the workers and in -t's check process (io.masterwork.worker.ApplicationSettings), never here, in a
            // master that usually runs as root. The sections travel to the workers as written.
        } catch (IOException e) {
            throw new ConfigurationException(file.toString(), -1, "worker_class_path",
                    "cannot close the worker class path: " + e.getMessage(), e);
        }
        b.resolved = merged;
        return b.build();
    }

    // ---- reading the file ---------------------------------------------------------------------

    private Config parse() {
        if (!Files.exists(file)) {
            throw new ConfigurationException(file.toString(), -1, null, "configuration file does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new ConfigurationException(file.toString(), -1, null, "configuration file is not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new ConfigurationException(file.toString(), -1, null, "configuration file is not readable");
        }
        try {
            Config parsed = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF));
            return parsed.resolve(ConfigResolveOptions.defaults());
        } catch (ConfigException e) {
            throw fromTypesafe(e, file, null);
        }
    }

    /** Turns a Typesafe error into ours, keeping its origin and dropping the origin text from its message. */
    static ConfigurationException fromTypesafe(ConfigException e, Path file, String key) {
        ConfigOrigin origin = e.origin();
        String message = e.getMessage();
        if (origin != null && message.startsWith(origin.description() + ": ")) {
            message = message.substring(origin.description().length() + 2);
        }
        return ConfigurationException.at(origin, file, key, message, e);
    }

    private void rejectUnknownKeys(ConfigObject user, ConfigObject schema, String parent) {
        for (Map.Entry<String, ConfigValue> entry : user.entrySet()) {
            String key = parent + entry.getKey();
            ConfigValue known = schema.get(entry.getKey());
            if (known == null) {
                throw ConfigurationException.at(entry.getValue().origin(), file, key,
                        "unknown key" + suggestion(entry.getKey(), schema.keySet()));
            }
            if (key.equals("http") || key.equals("app")) {
                if (entry.getValue().valueType() != ConfigValueType.OBJECT) {
                    throw wrongType(entry.getValue(), key, "a section { ... }");
                }
                continue; // validated by the application's SettingsCheck, as the worker user
            }
            if (known.valueType() == ConfigValueType.OBJECT) {
                if (entry.getValue().valueType() != ConfigValueType.OBJECT) {
                    throw wrongType(entry.getValue(), key, "a section { ... }");
                }
                rejectUnknownKeys((ConfigObject) entry.getValue(), (ConfigObject) known, key + ".");
            }
        }
    }

    private static String suggestion(String key, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : new TreeSet<>(known)) {
            int d = editDistance(key.toLowerCase(Locale.ROOT), candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        if (best != null && bestDistance <= Math.max(2, key.length() / 4)) {
            return " (did you mean \"" + best + "\"?)";
        }
        return " (known keys: " + String.join(", ", new TreeSet<>(known)) + ")";
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    // ---- typed access -------------------------------------------------------------------------

    /** The value at a dotted path, null values included (Config.getValue refuses those). */
    private ConfigValue raw(String path) {
        ConfigValue v = merged.root();
        for (String part : path.split("\\.")) {
            v = ((ConfigObject) v).get(part);
            if (v == null) {
                throw new IllegalStateException("schema key missing from defaults: " + path);
            }
        }
        return v;
    }

    private ConfigurationException invalid(ConfigValue value, String key, String problem) {
        return ConfigurationException.at(value.origin(), file, key, problem);
    }

    private ConfigurationException wrongType(ConfigValue value, String key, String expected) {
        return invalid(value, key, "expected " + expected + ", got " + describe(value));
    }

    private static String describe(ConfigValue value) {
        return switch (value.valueType()) {
            case NULL -> "null";
            case OBJECT -> "a section { ... }";
            case LIST -> "a list";
            case STRING -> "\"" + value.unwrapped() + "\"";
            default -> value.render();
        };
    }

    private ConfigValue nonNull(String key, String expected) {
        ConfigValue v = raw(key);
        if (v.valueType() == ConfigValueType.NULL) {
            throw wrongType(v, key, expected);
        }
        return v;
    }

    private long wholeNumber(ConfigValue v, String key, String expected) {
        if (v.valueType() == ConfigValueType.NUMBER) {
            Number n = (Number) v.unwrapped();
            if (n instanceof Double d && (d != Math.rint(d) || d.isInfinite())) {
                throw wrongType(v, key, expected);
            }
            return n.longValue();
        }
        if (v.valueType() == ConfigValueType.STRING && ((String) v.unwrapped()).trim().matches("-?\\d{1,18}")) {
            return Long.parseLong(((String) v.unwrapped()).trim());
        }
        throw wrongType(v, key, expected);
    }

    private int intInRange(String key, int min, int max) {
        ConfigValue v = nonNull(key, "an integer");
        long n = wholeNumber(v, key, "an integer");
        if (n < min || n > max) {
            throw invalid(v, key, "must be between " + min + " and " + max + ", got " + n);
        }
        return (int) n;
    }

    private boolean bool(String key) {
        ConfigValue v = nonNull(key, "true or false");
        try {
            return merged.getBoolean(key);
        } catch (ConfigException.WrongType e) {
            throw wrongType(v, key, "true or false");
        }
    }

    private String string(String key) {
        ConfigValue v = nonNull(key, "a string");
        if (v.valueType() != ConfigValueType.STRING) {
            throw wrongType(v, key, "a string");
        }
        String s = ((String) v.unwrapped()).trim();
        if (s.isEmpty()) {
            throw invalid(v, key, "must not be empty");
        }
        return s;
    }

    private Path path(String key) {
        return prefix.resolve(string(key)).normalize();
    }

    /** A list of strings; each element's own line is used for errors about it. */
    private List<Map.Entry<String, ConfigValue>> stringEntries(String key) {
        ConfigValue v = nonNull(key, "a list of strings");
        if (v.valueType() != ConfigValueType.LIST) {
            throw wrongType(v, key, "a list of strings");
        }
        List<Map.Entry<String, ConfigValue>> out = new ArrayList<>();
        for (ConfigValue element : (ConfigList) v) {
            if (element.valueType() != ConfigValueType.STRING && element.valueType() != ConfigValueType.NUMBER
                    && element.valueType() != ConfigValueType.BOOLEAN) {
                throw invalid(element, key, "expected a list of strings, found " + describe(element) + " in it");
            }
            out.add(Map.entry(String.valueOf(element.unwrapped()), element));
        }
        return out;
    }

    private List<String> stringList(String key) {
        return stringEntries(key).stream().map(Map.Entry::getKey).toList();
    }

    private Duration duration(String key) {
        ConfigValue v = nonNull(key, "a duration such as 10s");
        if (v.valueType() == ConfigValueType.NUMBER) {
            long seconds = wholeNumber(v, key, "a duration such as 10s (a bare number is whole seconds)");
            if (seconds < 0) {
                throw invalid(v, key, "must not be negative");
            }
            return Duration.ofSeconds(seconds);
        }
        if (v.valueType() != ConfigValueType.STRING) {
            throw wrongType(v, key, "a duration such as 10s");
        }
        try {
            return DurationValue.parse((String) v.unwrapped());
        } catch (IllegalArgumentException e) {
            throw invalid(v, key, e.getMessage());
        }
    }

    private boolean isOff(String key) {
        ConfigValue v = nonNull(key, "a value or off");
        return v.valueType() == ConfigValueType.STRING && "off".equals(((String) v.unwrapped()).trim())
                || v.valueType() == ConfigValueType.BOOLEAN && !((Boolean) v.unwrapped());
    }

    /** A duration, or {@code off}. */
    private Optional<Duration> durationOrOff(String key) {
        if (isOff(key)) {
            return Optional.empty();
        }
        Duration d = duration(key);
        if (d.isZero()) {
            throw invalid(merged.getValue(key), key, "must be positive (or off)");
        }
        return Optional.of(d);
    }

    /** A whole number in range, or {@code off}. */
    private OptionalInt intOrOff(String key, int min, int max) {
        return isOff(key) ? OptionalInt.empty() : OptionalInt.of(intInRange(key, min, max));
    }

    // ---- the keys -----------------------------------------------------------------------------

    /** worker_spares: "auto" (empty) or a whole number of spares, 0 for none. */
    private OptionalInt workerSpares() {
        String key = "worker_spares";
        ConfigValue v = nonNull(key, "a number or \"auto\"");
        if (v.valueType() == ConfigValueType.STRING && "auto".equals(((String) v.unwrapped()).trim())) {
            return OptionalInt.empty();
        }
        long n = wholeNumber(v, key, "a number or \"auto\"");
        if (n < 0 || n > MAX_WORKER_PROCESSES) {
            throw invalid(v, key, "must be between 0 and " + MAX_WORKER_PROCESSES + " or \"auto\", got " + n);
        }
        return OptionalInt.of((int) n);
    }

    /** worker_spare_priority: idle (true) or normal (false). */
    private boolean sparePriority() {
        String key = "worker_spare_priority";
        String value = string(key);
        return switch (value) {
            case "idle" -> true;
            case "normal" -> false;
            default -> throw invalid(merged.getValue(key), key, "must be idle or normal, got \"" + value + "\"");
        };
    }

    private int workerProcesses() {
        String key = "worker_processes";
        ConfigValue v = nonNull(key, "a number or \"auto\"");
        if (v.valueType() == ConfigValueType.STRING && "auto".equals(((String) v.unwrapped()).trim())) {
            return Math.min(MAX_WORKER_PROCESSES, AllowedCpus.list().size());
        }
        long n = wholeNumber(v, key, "a number or \"auto\"");
        if (n < 1 || n > MAX_WORKER_PROCESSES) {
            throw invalid(v, key, "must be between 1 and " + MAX_WORKER_PROCESSES + " or \"auto\", got " + n);
        }
        return (int) n;
    }

    private List<BitSet> workerCpuAffinity(int workers) {
        String key = "worker_cpu_affinity";
        ConfigValue v = nonNull(key, "\"auto\", \"off\" or a list of CPU masks like [\"01\", \"10\"]");
        List<BitSet> masks = new ArrayList<>();
        if (v.valueType() == ConfigValueType.STRING || v.valueType() == ConfigValueType.BOOLEAN) {
            String s = String.valueOf(v.unwrapped()).trim();
            if (s.equals("off") || s.equals("false")) {
                return List.of();
            }
            if (s.equals("auto")) {
                List<Integer> cpus = AllowedCpus.list();
                for (int i = 0; i < workers; i++) {
                    BitSet one = new BitSet();
                    one.set(cpus.get(i % cpus.size()));
                    masks.add(one);
                }
                return masks;
            }
            if (CPU_MASK.matcher(s).matches()) {
                masks.add(mask(v, key, s));
            } else {
                throw invalid(v, key, "expected \"auto\", \"off\" or a list of CPU masks like [\"01\", \"10\"], got \"" + s + "\"");
            }
        } else if (v.valueType() == ConfigValueType.LIST) {
            for (ConfigValue element : (ConfigList) v) {
                if (element.valueType() != ConfigValueType.STRING) {
                    throw invalid(element, key, "a CPU mask must be a quoted string of 0 and 1 like \"0101\", got "
                            + describe(element));
                }
                masks.add(mask(element, key, ((String) element.unwrapped()).trim()));
            }
            if (masks.isEmpty()) {
                throw invalid(v, key, "empty list of CPU masks (write \"off\" for no affinity)");
            }
        } else {
            throw wrongType(v, key, "\"auto\", \"off\" or a list of CPU masks like [\"01\", \"10\"]");
        }
        // nginx: workers beyond the list use its last mask
        List<BitSet> perWorker = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            perWorker.add(masks.get(Math.min(i, masks.size() - 1)));
        }
        return perWorker;
    }

    /** "0110": the rightmost character is CPU 0, as in nginx. */
    private BitSet mask(ConfigValue v, String key, String s) {
        if (!CPU_MASK.matcher(s).matches() || s.length() > 1024) {
            throw invalid(v, key, "invalid CPU mask \"" + s + "\" (expected 0 and 1, the rightmost is CPU 0)");
        }
        BitSet set = new BitSet();
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(s.length() - 1 - i) == '1') {
                set.set(i);
            }
        }
        if (set.isEmpty()) {
            throw invalid(v, key, "CPU mask \"" + s + "\" selects no CPU");
        }
        return set;
    }

    private OptionalLong rlimitNofile() {
        String key = "worker_rlimit_nofile";
        ConfigValue v = raw(key);
        if (v.valueType() == ConfigValueType.NULL) {
            return OptionalLong.empty();
        }
        long n = wholeNumber(v, key, "a number of descriptors or null");
        if (n < 1 || n > Integer.MAX_VALUE) {
            throw invalid(v, key, "must be between 1 and " + Integer.MAX_VALUE + ", got " + n);
        }
        return OptionalLong.of(n);
    }

    private OptionalLong rlimitCore() {
        String key = "worker_rlimit_core";
        ConfigValue v = raw(key);
        if (v.valueType() == ConfigValueType.NULL) {
            return OptionalLong.empty();
        }
        if (v.valueType() == ConfigValueType.STRING
                && List.of("unlimited", "infinity").contains(((String) v.unwrapped()).trim())) {
            return OptionalLong.of(Rlimit.INFINITY);
        }
        try {
            long bytes = merged.getBytes(key);
            if (bytes < 0) {
                throw invalid(v, key, "must not be negative");
            }
            return OptionalLong.of(bytes);
        } catch (ConfigException.BadValue | ConfigException.WrongType e) {
            throw wrongType(v, key, "a size in bytes (e.g. 0, 512m, 2g), \"unlimited\" or null");
        }
    }

    private List<String> environment() {
        String key = "env";
        Map<String, String> env = new LinkedHashMap<>();
        // nginx keeps TZ unless told otherwise
        String tz = System.getenv("TZ");
        if (tz != null) {
            env.put("TZ", tz);
        }
        for (Map.Entry<String, ConfigValue> e : stringEntries(key)) {
            String entry = e.getKey();
            int eq = entry.indexOf('=');
            String name = eq < 0 ? entry : entry.substring(0, eq);
            if (!ENV_NAME.matcher(name).matches()) {
                throw invalid(e.getValue(), key, "invalid environment variable name \"" + name + "\" in \"" + entry + "\"");
            }
            if (eq < 0) {
                String inherited = System.getenv(name);
                if (inherited != null) {
                    env.put(name, inherited);
                } else {
                    env.remove(name);
                }
            } else {
                env.put(name, entry.substring(eq + 1));
            }
        }
        List<String> out = new ArrayList<>();
        env.forEach((k, val) -> out.add(k + "=" + val));
        return out;
    }

    private List<Path> workerClassPath() {
        String key = "worker_class_path";
        List<Path> out = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : stringEntries(key)) {
            Path p = prefix.resolve(e.getKey()).normalize();
            if (!Files.exists(p)) {
                throw invalid(e.getValue(), key, "\"" + p + "\" does not exist");
            }
            if (!Files.isReadable(p)) {
                throw invalid(e.getValue(), key, "\"" + p + "\" is not readable");
            }
            out.add(p);
        }
        return out;
    }

    private void parseUser(MasterConfiguration.Builder b) {
        String key = "user";
        ConfigValue v = raw(key);
        if (v.valueType() == ConfigValueType.NULL) {
            return;
        }
        if (v.valueType() != ConfigValueType.STRING) {
            throw wrongType(v, key, "\"user [group]\" or null");
        }
        String[] words = ((String) v.unwrapped()).trim().split("\\s+");
        if (words.length == 0 || words[0].isEmpty() || words.length > 2) {
            throw invalid(v, key, "expected \"user\" or \"user group\", got " + describe(v));
        }
        b.user = Optional.of(words[0]);
        b.group = words.length == 2 ? Optional.of(words[1]) : Optional.empty();
        // as nginx -t does (getpwnam/getgrnam), so that a typo fails the test, not the first spawn
        Posix posix = NativePosix.get();
        if (posix.lookupUser(words[0]) == null) {
            throw invalid(v, key, "no such user \"" + words[0] + "\"");
        }
        if (words.length == 2 && posix.lookupGroup(words[1]) == null) {
            throw invalid(v, key, "no such group \"" + words[1] + "\"");
        }
        if (words.length == 1 && posix.lookupGroup(words[0]) == null) {
            throw invalid(v, key, "no group named \"" + words[0] + "\" (as in nginx, \"user " + words[0]
                    + "\" alone means the group of that name); write \"user " + words[0] + " <group>\"");
        }
    }

    /** A path, resolved against the prefix, or off ({@code false}, or the word in any case). */
    private Optional<Path> pathOrOff(String key) {
        ConfigValue v = nonNull(key, "a path or off");
        if (v.valueType() == ConfigValueType.BOOLEAN && !((Boolean) v.unwrapped())) {
            return Optional.empty();
        }
        String text = string(key);
        if (text.equalsIgnoreCase("off")) {
            return Optional.empty();
        }
        return Optional.of(prefix.resolve(text).normalize());
    }

    /** A Unix socket path (relative to the prefix) or "off"; sun_path holds 107 bytes and a NUL. */
    private Optional<Path> controlSocket() {
        String key = "control_socket";
        Optional<Path> configured = pathOrOff(key);
        configured.ifPresent(path -> {
            int bytes = path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes > 107) {
                throw invalid(raw(key), key, "the socket path " + path + " is " + bytes
                        + " bytes long; a Unix socket path may have at most 107 (choose a shorter path or prefix)");
            }
        });
        return configured;
    }

    /** An address as in {@code listen}, or off; never one of the workers' own listening addresses. */
    private Optional<InetSocketAddress> statusListen(List<InetSocketAddress> listen) {
        String key = "status_listen";
        ConfigValue v = nonNull(key, "\"host:port\" or off");
        if (v.valueType() == ConfigValueType.BOOLEAN && !((Boolean) v.unwrapped())) {
            return Optional.empty();
        }
        if (v.valueType() != ConfigValueType.STRING && v.valueType() != ConfigValueType.NUMBER) {
            throw invalid(v, key, "expected \"host:port\", \"[::1]:port\", a port or off, got " + describe(v));
        }
        String text = String.valueOf(v.unwrapped()).trim();
        if (text.equalsIgnoreCase("off")) {
            return Optional.empty();
        }
        InetSocketAddress address;
        try {
            address = ListenAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid(v, key, e.getMessage());
        }
        if (address.getPort() != 0 && listen.contains(address)) {
            throw invalid(v, key, "\"" + text + "\" is also in listen: the status page needs an address of its own");
        }
        return Optional.of(address);
    }

    /** An htpasswd file (relative to the prefix) that must exist and be readable, or off. */
    private Optional<Path> statusAuth() {
        String key = "status_auth";
        Optional<Path> configured = pathOrOff(key);
        configured.ifPresent(path -> {
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                throw invalid(raw(key), key, "the htpasswd file " + path + " is not a readable file");
            }
            try {
                Htpasswd.read(path);
            } catch (IllegalArgumentException e) {
                throw invalid(raw(key), key, e.getMessage());
            }
        });
        return configured;
    }

    private void parseErrorLog(MasterConfiguration.Builder b) {
        String key = "error_log";
        ConfigValue v = nonNull(key, "\"path [level]\"");
        String text = string(key);
        String[] words = text.split("\\s+");
        if (words.length > 2) {
            throw invalid(v, key, "expected \"path\" or \"path level\", got " + describe(v));
        }
        b.errorLog = prefix.resolve(words[0]).normalize();
        b.errorLogLevel = "notice";
        if (words.length == 2) {
            String level = words[1].toLowerCase(Locale.ROOT);
            if (!LOG_LEVELS.contains(level)) {
                throw invalid(v, key, "unknown log level \"" + words[1] + "\" (expected one of " + String.join(", ", LOG_LEVELS) + ")");
            }
            b.errorLogLevel = level;
        }
    }

    private List<InetSocketAddress> listen() {
        String key = "listen";
        ConfigValue v = nonNull(key, "\"host:port\" or a list of them");
        List<ConfigValue> entries = new ArrayList<>();
        if (v.valueType() == ConfigValueType.LIST) {
            entries.addAll((ConfigList) v);
            if (entries.isEmpty()) {
                throw invalid(v, key, "at least one address is needed");
            }
        } else {
            entries.add(v);
        }
        List<InetSocketAddress> out = new ArrayList<>();
        Set<InetSocketAddress> seen = new HashSet<>();
        for (ConfigValue e : entries) {
            if (e.valueType() != ConfigValueType.STRING && e.valueType() != ConfigValueType.NUMBER) {
                throw invalid(e, key, "expected \"host:port\", \"[::1]:port\" or a port, got " + describe(e));
            }
            InetSocketAddress address;
            try {
                address = ListenAddress.parse(String.valueOf(e.unwrapped()));
            } catch (IllegalArgumentException ex) {
                throw invalid(e, key, ex.getMessage());
            }
            if (address.getPort() != 0 && !seen.add(address)) {
                throw invalid(e, key, "duplicate listen address \"" + e.unwrapped() + "\"");
            }
            out.add(address);
        }
        return out;
    }

    private List<String> moduleList(String key, ClassLoader loader) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : stringEntries(key)) {
            String name = e.getKey().trim();
            if (!CLASS_NAME.matcher(name).matches()) {
                throw invalid(e.getValue(), key, "\"" + name + "\" is not a class name");
            }
            Class<?> type;
            try {
                type = Class.forName(name, false, loader);
            } catch (ClassNotFoundException | LinkageError ex) {
                throw invalid(e.getValue(), key, "class \"" + name + "\" not found on the "
                        + (key.endsWith("worker") ? "worker" : "master") + " class path");
            }
            if (!com.google.inject.Module.class.isAssignableFrom(type)) {
                throw invalid(e.getValue(), key, "class \"" + name + "\" is not a Guice module (com.google.inject.Module)");
            }
            out.add(name);
        }
        return out;
    }
}
