package io.masterwork.master.process;

import io.masterwork.channel.SpawnContract;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.UserInfo;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code masterwork -t}'s check of the application sections ({@code http}, {@code app}): the applications'
 * {@code SettingsCheck}s are application code, which never runs in the (root) master. A short-lived JVM is started as
 * a worker is — the same {@code java}, the worker JVM flags and {@code worker_jvm_options}, the worker class path,
 * the worker environment — with worker-core's {@link SpawnContract#SETTINGS_CHECK_MAIN_CLASS}; it reads the JSON a
 * worker would get on its standard input, switches to the worker user as a worker does, runs the checks, and says
 * the refusal ({@code file:line: key: problem}) on its standard output.
 */
public final class SettingsCheckProcess {
    /** Bounded: a check that hangs must not hang {@code -t}. */
    static final long TIMEOUT_SECONDS = 60;

    private SettingsCheckProcess() {
    }

    /** Whether this class path holds worker-core's check: a distribution's does; master-core's own tests' does not. */
    public static boolean available() {
        return ClassLoader.getSystemResource(SpawnContract.SETTINGS_CHECK_MAIN_CLASS.replace('.', '/') + ".class") != null;
    }

    /** Empty when every check passed; otherwise the message to report. */
    public static Optional<String> run(MasterConfiguration config, UserInfo workerUser) {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        command.addAll(Spawner.DEFAULT_WORKER_JVM_FLAGS);
        command.addAll(config.workerJvmOptions());
        command.add("-cp");
        StringBuilder cp = new StringBuilder(System.getProperty("java.class.path"));
        config.workerClassPath().forEach(p -> cp.append(File.pathSeparatorChar).append(p.toAbsolutePath()));
        command.add(cp.toString());
        command.add(SpawnContract.SETTINGS_CHECK_MAIN_CLASS);
        Path output;
        try {
            // A file, not a pipe: an application that prints much would fill a pipe and hang the check.
            output = Files.createTempFile("masterwork-settings-check", ".out");
        } catch (IOException e) {
            return Optional.of("cannot start the check of the application sections: " + e.getMessage());
        }
        try {
            return run(command, config, workerUser, output);
        } finally {
            try {
                Files.deleteIfExists(output);
            } catch (IOException e) {
                // a temporary file left behind: nothing to tell -t's caller about
            }
        }
    }

    private static Optional<String> run(List<String> command, MasterConfiguration config, UserInfo workerUser, Path output) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(config.prefix().toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        Map<String, String> env = builder.environment();
        env.clear();
        for (String entry : config.workerEnvironment()) {
            int eq = entry.indexOf('=');
            if (eq > 0 && !entry.startsWith("NOTIFY_SOCKET=") && !entry.startsWith("LISTEN_")) {
                env.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        env.put("MASTERWORK_WORKER", "1");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return Optional.of("cannot start the check of the application sections: " + e.getMessage());
        }
        try {
            try (OutputStream in = process.getOutputStream()) {
                in.write(WorkerGeneration.render(config, workerUser));
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                return Optional.of("the check of the application sections did not end within " + TIMEOUT_SECONDS + " s");
            }
            String text;
            try (InputStream out = Files.newInputStream(output)) {
                // At most 64 KiB: the verdict is one line.
                text = new String(out.readNBytes(64 * 1024), StandardCharsets.UTF_8);
            }
            int status = process.exitValue();
            if (status == SpawnContract.EXIT_OK) {
                return Optional.empty();
            }
            if (status == SpawnContract.EXIT_SETTINGS_REJECTED) {
                return Optional.of(lastLine(text));
            }
            return Optional.of("the check of the application sections failed (exit status " + status + "): " + text.strip());
        } catch (IOException e) {
            return Optional.of("the check of the application sections failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while checking the application sections");
        } finally {
            process.destroyForcibly();
        }
    }

    /** The verdict is the process's last line (an application may have printed before it). */
    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        return lines[lines.length - 1].strip();
    }
}
