package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * worker_spare_priority (issue 24): a spare's JVM runs at SCHED_IDLE on every thread, so that it never takes CPU time
 * from serving workers, and its promotion raises every thread to SCHED_OTHER at worker_priority before it accepts.
 * A master that may not raise starts spares at normal priority and says why. Checked in /proc/pid/task/tid/stat.
 */
@TimingSensitive
class SparePriorityIT {
    /** Gives the prefix (the command's last argument) to nobody, then runs the master as nobody. */
    private static final String AS_NOBODY = "for a; do last=$a; done; chown -R 65534:65534 \"$last\" && exec %s setpriv "
            + "--reuid=65534 --regid=65534 --clear-groups \"$@\"";
    private static final String IDLE = "SCHED_IDLE";
    private static final String OTHER = "SCHED_OTHER";

    @Test
    void aSpareIsIdleOnEveryThreadUntilItsPromotionRaisesItToWorkerPriorityAndItsReplacementIsIdleAgain() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1\nworker_priority = 3\n")) {
            int worker = SpareWorkersIT.awaitServing(master, 1).get(0);
            int spare = SpareWorkersIT.awaitSpare(master, Set.of());
            assertThat(master.errorLog()).contains("start spare worker process " + spare + " (spare 0, generation 1, idle priority)");
            assertThat(schedulingOfEveryThread(spare)).containsExactly(IDLE + " nice 3");
            assertThat(schedulingOfEveryThread(worker)).containsExactly(OTHER + " nice 3");

            RunningMaster.kill("KILL", worker);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Http.get(master.port(), "/_worker").text(), a -> a.contains("\"pid\":" + spare + ","));
            assertThat(master.errorLog()).containsPattern("start worker process " + spare + " \\(slot \\d+\\): spare 0 promoted")
                    .doesNotContain("cannot raise spare worker process");
            assertThat(schedulingOfEveryThread(spare)).as("the promoted spare, every thread").containsExactly(OTHER + " nice 3");
            assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            // Threads the promoted worker starts from now on inherit the raised policy: still every one.
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().contains(spare + "#loop: worker ready: slot "));
            assertThat(schedulingOfEveryThread(spare)).containsExactly(OTHER + " nice 3");

            int next = SpareWorkersIT.awaitSpare(master, Set.of(spare));
            assertThat(schedulingOfEveryThread(next)).as("the replacement spare").containsExactly(IDLE + " nice 3");
        }
    }

    @Test
    void aSpareStarvedByBusyCpusIsRaisedAfterTheBoundAndBecomesReady() throws Exception {
        // Every CPU busy at normal priority (as serving workers under a saturating load keep them): a SCHED_IDLE JVM
        // gets next to no time and would never be ready. Past the bound the master raises it, and it starts.
        AtomicBoolean spin = new AtomicBoolean(true);
        List<Thread> spinners = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            Thread t = new Thread(() -> {
                long x = 0;
                while (spin.get()) {
                    x++;
                }
                if (x == 42) {
                    System.out.print("");
                }
            }, "busy-cpu-" + i);
            t.setDaemon(true);
            t.start();
            spinners.add(t);
        }
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1\n")) {
            SpareWorkersIT.awaitServing(master, 1);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> master.errorLog().contains("(spare 0, generation 1, idle priority)"));
            String log = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                    .until(master::errorLog, l -> l.contains("(spare 0) ready in"));
            assertThat(log).containsPattern("spare worker process \\d+ \\(spare 0\\) still starting after \\d+ ms at idle "
                    + "priority \\(the CPUs are busy\\): raised to worker_priority 0");
            spin.set(false);
            int spare = SpareWorkersIT.awaitSpare(master, Set.of());
            assertThat(schedulingOfEveryThread(spare)).containsExactly(OTHER + " nice 0");
        } finally {
            spin.set(false);
            for (Thread t : spinners) {
                t.join(5_000);
            }
        }
    }

    @Test
    void aSpareWhoseThreadRefusesTheRaiseIsStoppedAndTheSlotGetsAFreshWorker() throws Exception {
        try (RunningMaster master = RunningMaster.start(FaultInjectionIT.MASTER_FAULTS + "worker_processes = 1\nworker_spares = 1\n")) {
            int worker = SpareWorkersIT.awaitServing(master, 1).get(0);
            int spare = SpareWorkersIT.awaitSpare(master, Set.of());
            assertThat(schedulingOfEveryThread(spare)).containsExactly(IDLE + " nice 0");
            FaultInjectionIT.arm(master, "sched_setscheduler:EPERM:once");

            RunningMaster.kill("KILL", worker);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> master.errorLog().contains("cannot raise spare worker process " + spare
                            + " to worker_priority 0: sched_setscheduler: EPERM"));
            List<Integer> fresh = SpareWorkersIT.awaitServing(master, 1);
            assertThat(fresh).doesNotContain(spare, worker);
            assertThat(schedulingOfEveryThread(fresh.get(0))).containsExactly(OTHER + " nice 0");
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"pid\":" + fresh.get(0) + ",");
            assertThat(master.errorLog()).doesNotContainPattern("start worker process " + spare + " \\(slot");
            await().atMost(Duration.ofSeconds(20)).until(() -> !ProcFs.exists(spare));
        }
    }

    @Test
    void normalStartsSparesAtWorkerPriority() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1\nworker_spare_priority = normal\n")) {
            int spare = SpareWorkersIT.awaitSpare(master, Set.of());
            assertThat(schedulingOfEveryThread(spare)).containsExactly(OTHER + " nice 0");
            assertThat(master.errorLog()).doesNotContain("idle priority").doesNotContain("not idle");
        }
    }

    @Test
    void aMasterThatMayNotRaiseStartsSparesAtNormalPrioritySayingWhyOnce() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1\n", Map.of(),
                RunningMaster.freePort(), List.of("sh", "-c", String.format(AS_NOBODY, "prlimit --nice=0:0"), "sh"))) {
            assertThat(ProcFs.status("/proc/" + master.pid(), "Uid")).startsWith("65534");
            int worker = SpareWorkersIT.awaitServing(master, 1).get(0);
            int spare = SpareWorkersIT.awaitSpare(master, Set.of());
            assertThat(schedulingOfEveryThread(spare)).containsExactly(OTHER + " nice 0");
            String why = "spare workers start at normal priority, not idle (worker_spare_priority): raising a thread from "
                    + "SCHED_IDLE to worker_priority 0 needs CAP_SYS_NICE or an RLIMIT_NICE of 20 or more (this master's is 0)";
            assertThat(master.errorLog()).contains(why);

            RunningMaster.kill("KILL", worker);
            int next = SpareWorkersIT.awaitSpare(master, Set.of(spare));
            assertThat(schedulingOfEveryThread(spare)).containsExactly(OTHER + " nice 0");
            assertThat(schedulingOfEveryThread(next)).containsExactly(OTHER + " nice 0");
            assertThat(master.errorLog().split(java.util.regex.Pattern.quote(why), -1)).as("said once").hasSize(2);
        }
    }

    @Test
    void anUnprivilegedMasterWithRlimitNiceRaisesItsSpares() throws Exception {
        // RLIMIT_NICE 20 lets a thread go from SCHED_IDLE back to SCHED_OTHER at nice 0 without CAP_SYS_NICE. Raising
        // the hard limit needs CAP_SYS_RESOURCE, which a container's root may lack.
        Assumptions.assumeTrue(new ProcessBuilder("prlimit", "--nice=20:20", "true").start().waitFor() == 0,
                "this test run may not raise RLIMIT_NICE (no CAP_SYS_RESOURCE)");
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1\n", Map.of(),
                RunningMaster.freePort(), List.of("sh", "-c", String.format(AS_NOBODY, "prlimit --nice=20:20"), "sh"))) {
            assertThat(ProcFs.status("/proc/" + master.pid(), "Uid")).startsWith("65534");
            int worker = SpareWorkersIT.awaitServing(master, 1).get(0);
            int spare = SpareWorkersIT.awaitSpare(master, Set.of());
            assertThat(schedulingOfEveryThread(spare)).containsExactly(IDLE + " nice 0");

            RunningMaster.kill("KILL", worker);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Http.get(master.port(), "/_worker").text(), a -> a.contains("\"pid\":" + spare + ","));
            assertThat(schedulingOfEveryThread(spare)).containsExactly(OTHER + " nice 0");
            assertThat(master.errorLog()).doesNotContain("cannot raise spare worker process").doesNotContain("not idle");
        }
    }

    /** The distinct "policy nice N" of the threads of {@code pid} (threads that end meanwhile are left out). */
    private static Set<String> schedulingOfEveryThread(int pid) {
        Set<String> out = new TreeSet<>();
        for (int tid : ProcFs.tasks(pid)) {
            int policy = ProcFs.policy(pid, tid);
            if (policy < 0) {
                continue;
            }
            String stat = ProcFs.read(pid, "task/" + tid + "/stat");
            if (stat == null) {
                continue;
            }
            String name = switch (policy) {
                case 0 -> OTHER;
                case 5 -> IDLE;
                default -> "policy " + policy;
            };
            out.add(name + " nice " + ProcFs.nice(pid, tid));
        }
        return out;
    }
}
