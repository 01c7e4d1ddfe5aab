package io.masterwork.it;

import io.masterwork.testkit.ProcFs;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPUs this test process may run on (its Cpus_allowed_list, which the masters it starts inherit), and
 * worker_cpu_affinity masks for them: a test that pins workers to "01" and "10" fails on a machine, a cgroup or a
 * taskset that does not offer CPUs 0 and 1.
 */
final class AllowedCpus {
    private AllowedCpus() {
    }

    /** Ascending: "0-3,8,10-11" gives 0, 1, 2, 3, 8, 10, 11. */
    static List<Integer> list() {
        String allowed = ProcFs.status("/proc/self", "Cpus_allowed_list");
        List<Integer> out = new ArrayList<>();
        for (String range : allowed.split(",")) {
            String[] ends = range.trim().split("-");
            int first = Integer.parseInt(ends[0]);
            int last = ends.length > 1 ? Integer.parseInt(ends[1]) : first;
            for (int cpu = first; cpu <= last; cpu++) {
                out.add(cpu);
            }
        }
        return out;
    }

    /** The n-th allowed CPU, or the last one when fewer are allowed (workers then share it). */
    static int nth(int n) {
        List<Integer> all = list();
        return all.get(Math.min(n, all.size() - 1));
    }

    /** nginx's mask for one CPU: a '1' at the CPU's place, the rightmost digit being CPU 0. */
    static String mask(int cpu) {
        return "1" + "0".repeat(cpu);
    }

    /** {@code worker_cpu_affinity = ["<mask of the 1st allowed CPU>", "<mask of the 2nd>", ...]} for n workers. */
    static String affinityForWorkers(int n) {
        List<String> masks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            masks.add("\"" + mask(nth(i)) + "\"");
        }
        return "worker_cpu_affinity = [" + String.join(", ", masks) + "]";
    }
}
