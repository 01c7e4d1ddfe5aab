package io.masterwork.master.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU numbers this process may run on, read from {@code Cpus_allowed_list} in /proc/self/status
 * (a container or taskset may allow CPUs 2 and 3 only: "auto" affinity must use those numbers, not 0 and 1).
 */
final class AllowedCpus {
    private AllowedCpus() {
    }

    static List<Integer> list() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    List<Integer> cpus = parseList(line.substring(line.indexOf(':') + 1).trim());
                    if (!cpus.isEmpty()) {
                        return cpus;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux or an unexpected format: fall back to the JVM's count below
        }
        List<Integer> cpus = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            cpus.add(i);
        }
        return cpus;
    }

    /** "0-3,8,10-11" -> [0, 1, 2, 3, 8, 10, 11]. */
    static List<Integer> parseList(String text) {
        List<Integer> cpus = new ArrayList<>();
        if (text.isEmpty()) {
            return cpus;
        }
        for (String part : text.split(",")) {
            int dash = part.indexOf('-');
            if (dash < 0) {
                cpus.add(Integer.parseInt(part.trim()));
            } else {
                int from = Integer.parseInt(part.substring(0, dash).trim());
                int to = Integer.parseInt(part.substring(dash + 1).trim());
                for (int i = from; i <= to; i++) {
                    cpus.add(i);
                }
            }
        }
        return cpus;
    }
}
