package io.masterwork.worker;

import io.masterwork.channel.SpawnContract;
import io.masterwork.posix.NativePosix;
import io.masterwork.worker.log.WorkerLogging;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * {@code masterwork -t}'s check of the application sections ({@link ApplicationSettings}), in a short-lived process
 * the master's CLI starts with the worker class path: the configuration JSON the workers would get arrives on standard
 * input; the credentials are switched to the worker user as a worker switches them, before any application class is
 * loaded; the refusal's {@code file:line: key: problem} goes to standard output. Exit status 0 when every check
 * passed, {@link SpawnContract#EXIT_SETTINGS_REJECTED} when one refused, 2 when the check itself could not run.
 */
public final class SettingsCheckMain {
    private SettingsCheckMain() {
    }

    public static void main(String[] args) {
        // The worker's own logging (a worker's lines on standard error), quiet below warnings: nothing but the
        // verdict is wanted from this process. Set before the first logger, as WorkerMain does.
        System.setProperty(WorkerLogging.PROVIDER_PROPERTY, WorkerLogging.class.getName());
        System.getProperties().putIfAbsent(WorkerLogging.REPORT_VERBOSITY_PROPERTY, "WARN");
        WorkerLogging.applyLevel("warn");
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int status;
        try {
            String json = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            WorkerConfiguration config = WorkerConfiguration.parse(json, "configuration on standard input");
            new WorkerInit(NativePosix.get(), config).switchCredentials();
            ApplicationSettings.check(config);
            status = SpawnContract.EXIT_OK;
        } catch (ApplicationSettings.Rejected e) {
            out.println(e.getMessage());
            status = SpawnContract.EXIT_SETTINGS_REJECTED;
        } catch (IOException | RuntimeException | LinkageError e) {
            out.println("the application sections could not be checked: " + e);
            status = SpawnContract.EXIT_FATAL;
        }
        out.flush();
        Runtime.getRuntime().halt(status);
    }
}
