package io.masterwork.testkit;

import static org.awaitility.Awaitility.await;

import io.masterwork.master.control.ControlClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.Predicate;

/** What the master-cycle tests ask of a running master from outside: HTTP answers, the control socket, faults. */
public final class Probes {
    private Probes() {
    }

    /** GETs {@code path} on fresh connections (each lands on whichever worker accepts it) until an answer is wanted. */
    public static String answerOf(RunningMaster master, String path, Predicate<String> wanted, Duration atMost) {
        String[] found = new String[1];
        await().atMost(atMost).pollInterval(Duration.ofMillis(1)).until(() -> {
            Http.Response r = Http.get(master.port(), path);
            if (r.status() != 200) {
                throw new AssertionError("GET " + path + " answered " + r.status() + ": " + r.text());
            }
            found[0] = r.text();
            return wanted.test(found[0]);
        });
        return found[0];
    }

    /** /_worker as the worker {@code pid} answers it. */
    public static String workerView(RunningMaster master, int pid) {
        return answerOf(master, "/_worker", a -> a.startsWith("{\"pid\":" + pid + ","), Duration.ofSeconds(30));
    }

    /** One command on the master's control socket (logs/masterwork.sock), answered within {@code timeout}. */
    public static String control(RunningMaster master, String command, Duration timeout) throws IOException {
        try (ControlClient client = ControlClient.connect(master.prefix().resolve("logs/masterwork.sock"))) {
            return client.ask(command, timeout);
        }
    }

    /**
     * Arms the master's injected faults ({@code modules.master = [FaultInjectionModule]}), replacing the previous
     * ones: the next matching native call fails.
     */
    public static void armMasterFaults(RunningMaster master, String faults) throws IOException, InterruptedException {
        Path dir = master.prefix().resolve("faults");
        Files.createDirectories(dir);
        Path tmp = dir.resolve("master.tmp");
        Files.writeString(tmp, faults + "\n");
        Files.move(tmp, dir.resolve("master"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Thread.sleep(60); // past FaultInjectingPosix's re-check interval
    }

    public static long count(String text, String needle) {
        return text.split(java.util.regex.Pattern.quote(needle), -1).length - 1L;
    }
}
