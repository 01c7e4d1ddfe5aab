package io.masterwork.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.google.inject.Module;

/**
 * What a test's master runs: the application's Guice modules, its {@code app {}} settings, any other
 * configuration, and where its classes are. Immutable: every method returns a new builder, so one builder can
 * serve as the base of several masters (and {@link RunningMaster#reload(String)} keeps the rest of it).
 *
 * <pre>{@code
 * try (RunningMaster master = RunningMaster.builder()
 *         .workerModules(MyServerModule.class)
 *         .app("greeting = \"hello\"")
 *         .start()) {
 *     master.awaitWorkers(2);
 *     ...
 * }
 * }</pre>
 */
public final class MasterBuilder {
    private final List<String> workerModules;
    private final List<String> masterModules;
    private final String appSettings;
    private final int workerProcesses;
    private final String extraConfig;
    private final List<Path> workerClassPath;
    private final List<String> masterJvmOptions;
    private final Map<String, String> environment;
    private final Path classPathDirectory;
    /** worker_spares = 0 first in the file (the testkit's default), unless {@link #defaultSpares()}. */
    private final boolean noSpares;

    MasterBuilder() {
        this(List.of(), List.of(), null, 2, "", List.of(), List.of(), Map.of(), null, true);
    }

    private MasterBuilder(List<String> workerModules, List<String> masterModules, String appSettings,
                          int workerProcesses, String extraConfig, List<Path> workerClassPath,
                          List<String> masterJvmOptions, Map<String, String> environment, Path classPathDirectory,
                          boolean noSpares) {
        this.workerModules = List.copyOf(workerModules);
        this.masterModules = List.copyOf(masterModules);
        this.appSettings = appSettings;
        this.workerProcesses = workerProcesses;
        this.extraConfig = extraConfig;
        this.workerClassPath = List.copyOf(workerClassPath);
        this.masterJvmOptions = List.copyOf(masterJvmOptions);
        this.environment = Map.copyOf(environment);
        this.classPathDirectory = classPathDirectory;
        this.noSpares = noSpares;
    }

    private MasterBuilder with(List<String> workerModules, List<String> masterModules, String appSettings,
                               int workerProcesses, String extraConfig, List<Path> workerClassPath,
                               List<String> masterJvmOptions, Map<String, String> environment, Path classPathDirectory) {
        return new MasterBuilder(workerModules, masterModules, appSettings, workerProcesses, extraConfig,
                workerClassPath, masterJvmOptions, environment, classPathDirectory, noSpares);
    }

    /** The application's modules, loaded in every worker ({@code modules.worker}); replaces earlier ones. */
    @SafeVarargs
    public final MasterBuilder workerModules(Class<? extends Module>... modules) {
        return workerModules(names(modules));
    }

    /** As {@link #workerModules(Class[])}, by class name: for modules that are not on the test's class path. */
    public MasterBuilder workerModules(List<String> classNames) {
        return with(classNames, masterModules, appSettings, workerProcesses, extraConfig, workerClassPath,
                masterJvmOptions, environment, classPathDirectory);
    }

    /**
     * Modules loaded in the master ({@code modules.master}): master extensions, or
     * {@link io.masterwork.testkit.faults.FaultInjectionModule} to make its native calls fail on demand.
     */
    @SafeVarargs
    public final MasterBuilder masterModules(Class<? extends Module>... modules) {
        return with(workerModules, names(modules), appSettings, workerProcesses, extraConfig, workerClassPath,
                masterJvmOptions, environment, classPathDirectory);
    }

    /** The body of the configuration's {@code app {}} section (HOCON), as the application's settings read it. */
    public MasterBuilder app(String settings) {
        return with(workerModules, masterModules, settings, workerProcesses, extraConfig, workerClassPath,
                masterJvmOptions, environment, classPathDirectory);
    }

    /** {@code worker_processes}; 2 unless set. */
    public MasterBuilder workerProcesses(int count) {
        return with(workerModules, masterModules, appSettings, count, extraConfig, workerClassPath,
                masterJvmOptions, environment, classPathDirectory);
    }

    /** More configuration, appended as it is (e.g. {@code worker_shutdown_timeout = 10s}). */
    public MasterBuilder config(String configuration) {
        return with(workerModules, masterModules, appSettings, workerProcesses, extraConfig + configuration + "\n",
                workerClassPath, masterJvmOptions, environment, classPathDirectory);
    }

    /**
     * Jars or class directories the workers load the application from, besides the test's class path
     * ({@code worker_class_path}): an application packaged apart from the test, say.
     */
    public MasterBuilder workerClassPath(Path... entries) {
        return with(workerModules, masterModules, appSettings, workerProcesses, extraConfig, List.of(entries),
                masterJvmOptions, environment, classPathDirectory);
    }

    /** Options for the master's JVM (before {@code -cp}). */
    public MasterBuilder masterJvmOptions(String... options) {
        return with(workerModules, masterModules, appSettings, workerProcesses, extraConfig, workerClassPath,
                List.of(options), environment, classPathDirectory);
    }

    /** Variables added to the master's environment (its workers inherit them). */
    public MasterBuilder environment(Map<String, String> variables) {
        Map<String, String> all = new LinkedHashMap<>(environment);
        all.putAll(variables);
        return with(workerModules, masterModules, appSettings, workerProcesses, extraConfig, workerClassPath,
                masterJvmOptions, all, classPathDirectory);
    }

    /**
     * The directory the master's class path is read from ({@code dir/*} and {@code dir/master/*}, as a
     * distribution's lib/); by default a copy of the test's class path ({@link RunningMaster#lib()}).
     */
    public MasterBuilder classPathDirectory(Path directory) {
        return with(workerModules, masterModules, appSettings, workerProcesses, extraConfig, workerClassPath,
                masterJvmOptions, environment, directory);
    }

    /**
     * The master's own default for {@code worker_spares} (auto: spare workers beside the workers), instead of the
     * testkit's 0. {@link RunningMaster#workers()} never counts spares; {@link RunningMaster#spares()} lists them.
     */
    public MasterBuilder defaultSpares() {
        return new MasterBuilder(workerModules, masterModules, appSettings, workerProcesses, extraConfig, workerClassPath,
                masterJvmOptions, environment, classPathDirectory, false);
    }

    /** Starts the master and waits until its pid file names it (not for its workers: see {@link RunningMaster#awaitWorkers}). */
    public RunningMaster start() throws IOException {
        return RunningMaster.start(this);
    }

    /** The configuration file's text after the {@code listen} line. */
    String configuration() {
        StringBuilder conf = new StringBuilder();
        if (noSpares) {
            conf.append(RunningMaster.NO_SPARES);
        }
        conf.append("worker_processes = ").append(workerProcesses).append('\n');
        conf.append("worker_shutdown_timeout = 5s\n");
        if (!workerModules.isEmpty() || !masterModules.isEmpty()) {
            conf.append("modules {\n");
            if (!workerModules.isEmpty()) {
                conf.append("  worker = ").append(quoted(workerModules)).append('\n');
            }
            if (!masterModules.isEmpty()) {
                conf.append("  master = ").append(quoted(masterModules)).append('\n');
            }
            conf.append("}\n");
        }
        if (!workerClassPath.isEmpty()) {
            conf.append("worker_class_path = ")
                    .append(quoted(workerClassPath.stream().map(p -> p.toAbsolutePath().toString()).toList())).append('\n');
        }
        conf.append(extraConfig);
        if (appSettings != null) {
            conf.append("app {\n").append(appSettings).append("\n}\n");
        }
        return conf.toString();
    }

    boolean noSpares() {
        return noSpares;
    }

    List<String> masterJvmOptions() {
        return masterJvmOptions;
    }

    Map<String, String> environment() {
        return environment;
    }

    Path classPathDirectory() throws IOException {
        return classPathDirectory != null ? classPathDirectory : RunningMaster.lib();
    }

    private static List<String> names(Class<?>[] classes) {
        List<String> out = new ArrayList<>();
        for (Class<?> c : classes) {
            out.add(c.getName());
        }
        return out;
    }

    /** A HOCON list of quoted strings; backslashes and quotes escaped. */
    private static String quoted(List<String> values) {
        return values.stream().map(v -> "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
