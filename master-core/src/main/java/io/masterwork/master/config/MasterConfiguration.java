package io.masterwork.master.config;

import com.typesafe.config.Config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A validated configuration, every default filled in and every path absolute (resolved against the
 * prefix). Immutable; built only by {@link ConfigLoader#load(Path, Path)}. A reload builds a new one.
 */
public final class MasterConfiguration {
    private final Path prefix;
    private final Path configFile;
    private final int workerProcesses;
    private final List<BitSet> workerCpuAffinity;
    private final int workerPriority;
    private final OptionalLong workerRlimitNofile;
    private final OptionalLong workerRlimitCore;
    private final Duration workerShutdownTimeout;
    private final Optional<Duration> workerWatchdogTimeout;
    private final Duration workerReadyTimeout;
    private final OptionalInt workerCrashLimit;
    private final Duration workerCrashWindow;
    private final Duration workerRespawnBackoff;
    private final Duration workerRespawnBackoffMax;
    private final List<String> workerJvmOptions;
    private final List<String> workerEnvironment;
    private final Optional<String> user;
    private final Optional<String> group;
    private final Path pidFile;
    private final Path errorLog;
    private final String errorLogLevel;
    private final boolean daemon;
    private final boolean connectionHandover;
    private final Optional<Path> controlSocket;
    private final Optional<InetSocketAddress> statusListen;
    private final Optional<Path> statusAuth;
    private final List<InetSocketAddress> listen;
    private final List<String> masterModules;
    private final List<String> workerModules;
    private final List<Path> workerClassPath;
    private final Config resolved;
    private final OptionalInt workerSpares;
    private final boolean workerSparesIdle;

    MasterConfiguration(Builder b) {
        this.prefix = b.prefix;
        this.configFile = b.configFile;
        this.workerProcesses = b.workerProcesses;
        this.workerCpuAffinity = b.workerCpuAffinity.stream().map(s -> (BitSet) s.clone()).toList();
        this.workerPriority = b.workerPriority;
        this.workerRlimitNofile = b.workerRlimitNofile;
        this.workerRlimitCore = b.workerRlimitCore;
        this.workerShutdownTimeout = b.workerShutdownTimeout;
        this.workerWatchdogTimeout = b.workerWatchdogTimeout;
        this.workerReadyTimeout = b.workerReadyTimeout;
        this.workerCrashLimit = b.workerCrashLimit;
        this.workerCrashWindow = b.workerCrashWindow;
        this.workerRespawnBackoff = b.workerRespawnBackoff;
        this.workerRespawnBackoffMax = b.workerRespawnBackoffMax;
        this.workerJvmOptions = List.copyOf(b.workerJvmOptions);
        this.workerEnvironment = List.copyOf(b.workerEnvironment);
        this.user = b.user;
        this.group = b.group;
        this.pidFile = b.pidFile;
        this.errorLog = b.errorLog;
        this.errorLogLevel = b.errorLogLevel;
        this.daemon = b.daemon;
        this.connectionHandover = b.connectionHandover;
        this.controlSocket = b.controlSocket;
        this.statusListen = b.statusListen;
        this.statusAuth = b.statusAuth;
        this.listen = List.copyOf(b.listen);
        this.masterModules = List.copyOf(b.masterModules);
        this.workerModules = List.copyOf(b.workerModules);
        this.workerClassPath = List.copyOf(b.workerClassPath);
        this.resolved = b.resolved;
        this.workerSpares = b.workerSpares;
        this.workerSparesIdle = b.workerSparesIdle;
    }

    /** The absolute prefix every relative path was resolved against. */
    public Path prefix() {
        return prefix;
    }

    /** The absolute path of the file this configuration was read from. */
    public Path configFile() {
        return configFile;
    }

    /** worker_processes, "auto" resolved to the CPUs this process may run on. */
    public int workerProcesses() {
        return workerProcesses;
    }

    /**
     * One CPU set per worker slot (exactly {@link #workerProcesses()} entries), or empty when affinity is off.
     * "auto" gives one CPU per worker, round-robin over the CPUs this process may run on; an explicit list
     * shorter than the number of workers repeats its last mask, as nginx does.
     */
    public List<BitSet> workerCpuAffinity() {
        return workerCpuAffinity.stream().map(s -> (BitSet) s.clone()).toList();
    }

    /** Nice value for workers, -20..19. */
    public int workerPriority() {
        return workerPriority;
    }

    /** RLIMIT_NOFILE for workers; empty = inherit. */
    public OptionalLong workerRlimitNofile() {
        return workerRlimitNofile;
    }

    /** RLIMIT_CORE for workers, in bytes; empty = inherit; {@code Rlimit.INFINITY} (-1) for "unlimited". */
    public OptionalLong workerRlimitCore() {
        return workerRlimitCore;
    }

    /** Bound on a graceful worker exit after QUIT. */
    public Duration workerShutdownTimeout() {
        return workerShutdownTimeout;
    }

    /** How long a reload waits for every new worker's READY before it rolls back. */
    public Duration workerReadyTimeout() {
        return workerReadyTimeout;
    }

    /** How long a worker may miss heartbeats before it is dumped and killed; empty = off. */
    public Optional<Duration> workerWatchdogTimeout() {
        return workerWatchdogTimeout;
    }

    /** Crashes within {@link #workerCrashWindow} that stop the master; empty = never. */
    public OptionalInt workerCrashLimit() {
        return workerCrashLimit;
    }

    public Duration workerCrashWindow() {
        return workerCrashWindow;
    }

    /** The first respawn delay of a slot whose worker crashed soon after its start. */
    public Duration workerRespawnBackoff() {
        return workerRespawnBackoff;
    }

    public Duration workerRespawnBackoffMax() {
        return workerRespawnBackoffMax;
    }

    /** Extra JVM flags for worker JVMs. */
    public List<String> workerJvmOptions() {
        return workerJvmOptions;
    }

    /** NAME=value entries for workers, resolved from {@code env} (bare names keep the master's value; TZ is kept as in nginx). */
    public List<String> workerEnvironment() {
        return workerEnvironment;
    }

    /** The user workers drop to when the master runs as root. */
    public Optional<String> user() {
        return user;
    }

    /** The group given after the user name; empty = the user's primary group. */
    public Optional<String> group() {
        return group;
    }

    public Path pidFile() {
        return pidFile;
    }

    public Path errorLog() {
        return errorLog;
    }

    /** nginx level name: debug, info, notice, warn, error, crit, alert, emerg. */
    public String errorLogLevel() {
        return errorLogLevel;
    }

    public boolean daemon() {
        return daemon;
    }

    /** {@code connection_handover}: a retiring worker moves its idle connections to its successors. */
    public boolean connectionHandover() {
        return connectionHandover;
    }

    /** The control socket's absolute path; empty when {@code control_socket = off}. */
    public Optional<Path> controlSocket() {
        return controlSocket;
    }

    /** {@code status_listen}: where the master serves its status page and /metrics; empty when off. */
    public Optional<InetSocketAddress> statusListen() {
        return statusListen;
    }

    /** {@code status_auth}: the htpasswd file guarding the status page, absolute; empty when off. */
    public Optional<Path> statusAuth() {
        return statusAuth;
    }

    /** The listening addresses, in the order of {@code listen} (the order of worker fds 6, 7, ...). */
    public List<InetSocketAddress> listen() {
        return listen;
    }

    /** Guice module class names that override the master's default modules. */
    public List<String> masterModules() {
        return masterModules;
    }

    /** Guice module class names that override the worker's default modules. */
    public List<String> workerModules() {
        return workerModules;
    }

    /** Extra jars and directories for worker applications, absolute. */
    public List<Path> workerClassPath() {
        return workerClassPath;
    }

    /** The whole validated configuration with every default filled in (http and app sections included). */
    public Config resolved() {
        return resolved;
    }

    /**
     * worker_spares: worker JVMs kept started and initialised, not accepting, to take over a slot at once. The number
     * the file names, or empty for {@code auto}, which the master works out from the workers and the memory it may
     * use (io.masterwork.master.process.SpareAllowance).
     */
    public OptionalInt workerSpares() {
        return workerSpares;
    }

    /**
     * worker_spare_priority = idle (true): spares start at SCHED_IDLE and are raised to worker_priority at their
     * promotion; normal (false): they start at worker_priority, as workers do.
     */
    public boolean workerSparesIdle() {
        return workerSparesIdle;
    }

    @Override
    public String toString() {
        return "MasterConfiguration[" + configFile + "]";
    }

    static final class Builder {
        Path prefix;
        Path configFile;
        int workerProcesses;
        List<BitSet> workerCpuAffinity = List.of();
        int workerPriority;
        OptionalLong workerRlimitNofile = OptionalLong.empty();
        OptionalLong workerRlimitCore = OptionalLong.empty();
        Duration workerShutdownTimeout;
        Optional<Duration> workerWatchdogTimeout = Optional.empty();
        Duration workerReadyTimeout = Duration.ofSeconds(60);
        OptionalInt workerCrashLimit = OptionalInt.empty();
        Duration workerCrashWindow = Duration.ofSeconds(60);
        Duration workerRespawnBackoff = Duration.ofMillis(100);
        Duration workerRespawnBackoffMax = Duration.ofSeconds(30);
        List<String> workerJvmOptions = List.of();
        List<String> workerEnvironment = List.of();
        Optional<String> user = Optional.empty();
        Optional<String> group = Optional.empty();
        Path pidFile;
        Path errorLog;
        String errorLogLevel;
        boolean daemon;
        boolean connectionHandover = true;
        Optional<Path> controlSocket = Optional.empty();
        Optional<InetSocketAddress> statusListen = Optional.empty();
        Optional<Path> statusAuth = Optional.empty();
        List<InetSocketAddress> listen = List.of();
        List<String> masterModules = List.of();
        List<String> workerModules = List.of();
        List<Path> workerClassPath = List.of();
        Config resolved;
        OptionalInt workerSpares = OptionalInt.empty();
        boolean workerSparesIdle = true;

        MasterConfiguration build() {
            return new MasterConfiguration(this);
        }
    }
}
