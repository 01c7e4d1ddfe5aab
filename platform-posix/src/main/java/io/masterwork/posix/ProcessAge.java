package io.masterwork.posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * How long ago this process was created (its exec, for a JVM the launcher's start), to the kernel's clock
 * tick. {@code ProcessHandle.Info.startInstant()} cannot say: it adds the start ticks to the boot time, which
 * the kernel gives in whole seconds, so its answer is off by up to a second. Here both ends are ticks
 * since boot: {@code /proc/uptime} now and {@code starttime} of {@code /proc/self/stat}.
 */
public final class ProcessAge {
    /** USER_HZ: the unit of /proc's tick counts, 100 on every Linux architecture the JVM runs on. */
    private static final long TICKS_PER_SECOND = 100;

    private ProcessAge() {
    }

    /** Milliseconds since this process started, or empty when /proc does not say. */
    public static OptionalLong millis() {
        try {
            String uptime = Files.readString(Path.of("/proc/uptime"), StandardCharsets.US_ASCII);
            String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.US_ASCII);
            return OptionalLong.of(millis(uptime, stat));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    static long millis(String procUptime, String procSelfStat) {
        long uptimeMillis = Math.round(Double.parseDouble(procUptime.substring(0, procUptime.indexOf(' '))) * 1000);
        // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
        String[] afterName = procSelfStat.substring(procSelfStat.lastIndexOf(')') + 2).trim().split(" ");
        long startTicks = Long.parseLong(afterName[22 - 3]);
        return uptimeMillis - startTicks * 1000 / TICKS_PER_SECOND;
    }
}
