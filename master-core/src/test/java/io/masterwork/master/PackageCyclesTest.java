package io.masterwork.master;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * master-core's packages depend on each other one way only: the cli wires everything, the control socket and systemd
 * are extensions of the process layer, and nothing below the cli reaches back up into it. Read from the compiled
 * classes by the JDK's own jdeps.
 */
class PackageCyclesTest {

    @Test
    void masterCoreHasNoPackageCycles() throws Exception {
        Map<String, Set<String>> edges = packageDependencies();
        assertThat(edges).containsKeys("io.masterwork.master.cli", "io.masterwork.master.process");
        List<String> cycles = new ArrayList<>();
        for (String from : edges.keySet()) {
            for (String to : edges.get(from)) {
                if (reaches(edges, to, from, new TreeSet<>())) {
                    cycles.add(from + " -> " + to + " -> ... -> " + from);
                }
            }
        }
        assertThat(cycles).as("package cycles in master-core, from %s", edges).isEmpty();
    }

    /** Package -> the master-core packages its classes use, as jdeps sees the class files. */
    private static Map<String, Set<String>> packageDependencies() throws Exception {
        Path classes = Path.of(Version.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        int status = jdeps.run(new PrintWriter(out), new PrintWriter(out), "-verbose:package", "-filter:none",
                "-e", "io\\.masterwork\\.master.*", classes.toString());
        assertThat(status).as(out.toString()).isZero();
        Map<String, Set<String>> edges = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length >= 3 && parts[1].equals("->") && parts[0].startsWith("io.masterwork.master")
                    && parts[2].startsWith("io.masterwork.master") && !parts[0].equals(parts[2])) {
                edges.computeIfAbsent(parts[0], k -> new TreeSet<>()).add(parts[2]);
            }
        }
        return edges;
    }

    private static boolean reaches(Map<String, Set<String>> edges, String from, String target, Set<String> seen) {
        if (from.equals(target)) {
            return true;
        }
        if (!seen.add(from)) {
            return false;
        }
        for (String next : edges.getOrDefault(from, Set.of())) {
            if (reaches(edges, next, target, seen)) {
                return true;
            }
        }
        return false;
    }
}
