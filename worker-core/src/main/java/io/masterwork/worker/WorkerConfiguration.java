package io.masterwork.worker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import io.masterwork.posix.Posix;
import io.masterwork.posix.Rlimit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The configuration the master validated and rendered as JSON into the memfd on descriptor 5
 * (ARCHITECTURE.md). The worker never reads the configuration file itself: what the master checked
 * is exactly what the worker runs.
 */
public final class WorkerConfiguration {
    private final Config config;

    private WorkerConfiguration(Config config) {
        this.config = config;
    }

    /** A configuration already parsed (the application sections' checked form, {@link ApplicationSettings}). */
    static WorkerConfiguration of(Config config) {
        return new WorkerConfiguration(config);
    }

    /** Reads and parses the JSON on {@code fd} (from offset 0: /proc/self/fd opens it afresh). */
    public static WorkerConfiguration readDescriptor(int fd) {
        return parse(new String(readDescriptorBytes(fd), StandardCharsets.UTF_8), "configuration on descriptor " + fd);
    }

    /**
     * Whether {@code fd}, read from its current offset, holds exactly {@code expected}; the offset is 0 afterwards.
     * One read(2) of one byte more than expected, where {@link #readDescriptorBytes} opens /proc/self/fd afresh and
     * reads through the JDK's file channel: a promotion into a slot of the spare's own generation, whose configuration
     * is byte for byte the spare's, asks only this (0.6 to 2 ms less inside a promotion, measured on a loaded machine).
     */
    static boolean holdsExactly(Posix posix, int fd, byte[] expected) {
        ByteBuffer buffer = ByteBuffer.allocate(expected.length + 1);
        while (buffer.hasRemaining() && posix.read(fd, buffer) > 0) {
            // a memfd answers at once; a short read means its end
        }
        posix.seek(fd, 0);
        return buffer.position() == expected.length
                && Arrays.equals(buffer.array(), 0, expected.length, expected, 0, expected.length);
    }

    /** The configuration's bytes as the master rendered them, unparsed. */
    static byte[] readDescriptorBytes(int fd) {
        try {
            return Files.readAllBytes(Path.of("/proc/self/fd/" + fd));
        } catch (IOException e) {
            throw new WorkerInitException("cannot read the configuration on descriptor " + fd + ": " + e, e);
        }
    }

    public static WorkerConfiguration parse(String json, String description) {
        if (json.isBlank()) {
            throw new WorkerInitException("the " + description + " is empty");
        }
        try {
            Config parsed = ConfigFactory.parseString(json,
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON).setOriginDescription(description));
            return new WorkerConfiguration(parsed);
        } catch (ConfigException e) {
            throw new WorkerInitException("the " + description + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    public Config config() {
        return config;
    }

    /** {@code masterwork.prefix}, or the working directory (the master starts workers in the prefix). */
    public Path prefix() {
        if (config.hasPath("masterwork.prefix")) {
            return Path.of(config.getString("masterwork.prefix"));
        }
        return Path.of("").toAbsolutePath();
    }

    public OptionalLong rlimitNofile() {
        return rlimit("worker_rlimit_nofile");
    }

    public OptionalLong rlimitCore() {
        return rlimit("worker_rlimit_core");
    }

    private OptionalLong rlimit(String key) {
        if (!config.hasPath(key)) {
            return OptionalLong.empty();
        }
        ConfigValue value = config.getValue(key);
        try {
            if (value.valueType() == ConfigValueType.STRING) {
                String text = config.getString(key);
                if (text.equals("unlimited") || text.equals("infinity")) {
                    return OptionalLong.of(Rlimit.INFINITY);
                }
                return OptionalLong.of(config.getBytes(key));
            }
            long n = config.getLong(key);
            if (n < 0) {
                throw new WorkerInitException(key + " must not be negative, got " + n);
            }
            return OptionalLong.of(n);
        } catch (ConfigException e) {
            throw new WorkerInitException(key + ": " + e.getMessage(), e);
        }
    }

    /** {@code worker_shutdown_timeout} (10s when absent). */
    public Duration shutdownTimeout() {
        return duration(config, "worker_shutdown_timeout", Duration.ofSeconds(10));
    }

    /** {@code worker_priority}, or empty when absent. */
    public OptionalInt priority() {
        return config.hasPath("worker_priority") ? OptionalInt.of(config.getInt("worker_priority")) : OptionalInt.empty();
    }

    /** Threads of the event loop: {@code worker_event_loop_threads} when the schema has it, else 1 (nginx: one). */
    public int eventLoopThreads() {
        return config.hasPath("worker_event_loop_threads") ? Math.max(1, config.getInt("worker_event_loop_threads")) : 1;
    }

    /** The path part of {@code error_log = "path level"}, resolved against the prefix; empty when unset. */
    public Optional<Path> errorLogPath() {
        if (!config.hasPath("error_log")) {
            return Optional.empty();
        }
        String[] parts = config.getString("error_log").trim().split("\\s+");
        return Optional.of(prefix().resolve(parts[0]));
    }

    /** The level part of {@code error_log = "path level"}, or empty. */
    public String errorLogLevel() {
        if (!config.hasPath("error_log")) {
            return "";
        }
        String[] parts = config.getString("error_log").trim().split("\\s+");
        return parts.length > 1 ? parts[parts.length - 1] : "";
    }

    /** {@code masterwork.worker_uid}, present when the master ran as root and {@code user} applies. */
    public OptionalInt workerUid() {
        return optionalInt("masterwork.worker_uid");
    }

    public OptionalInt workerGid() {
        return optionalInt("masterwork.worker_gid");
    }

    public int[] workerGroups() {
        if (!config.hasPath("masterwork.worker_groups")) {
            return null;
        }
        List<Integer> list = config.getIntList("masterwork.worker_groups");
        int[] groups = new int[list.size()];
        for (int i = 0; i < groups.length; i++) {
            groups[i] = list.get(i);
        }
        return groups;
    }

    /** {@code modules.worker}: Guice module class names overriding the default application. */
    public List<String> workerModules() {
        return config.hasPath("modules.worker") ? config.getStringList("modules.worker") : List.of();
    }

    /** The section of the configuration, or an empty config when absent. */
    public Config section(String name) {
        return config.hasPath(name) ? config.getConfig(name) : ConfigFactory.empty();
    }

    private OptionalInt optionalInt(String key) {
        return config.hasPath(key) ? OptionalInt.of(config.getInt(key)) : OptionalInt.empty();
    }

    /**
     * A duration as nginx reads it: a bare number is seconds (Typesafe Config would read
     * milliseconds), a string like {@code 10s} or {@code 500ms} is parsed.
     */
    public static Duration duration(Config config, String key, Duration fallback) {
        if (!config.hasPath(key)) {
            return fallback;
        }
        if (config.getValue(key).valueType() == ConfigValueType.NUMBER) {
            return Duration.ofMillis(Math.round(config.getDouble(key) * 1000));
        }
        return config.getDuration(key);
    }
}
