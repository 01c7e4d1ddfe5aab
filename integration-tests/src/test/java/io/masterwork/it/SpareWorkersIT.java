package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, "warm spares": worker JVMs started ahead of need, that never accept before the master promotes one into a
 * dead worker's slot (or into a new generation's, on reload). Checked from outside: titles, /proc (epoll sets,
 * affinity, descriptors), HTTP, the control socket.
 */
@TimingSensitive
class SpareWorkersIT {
    private static final Pattern SPARE_READY = Pattern.compile("spare worker process (\\d+) \\(spare \\d+\\) ready");
    private static final Pattern PID = Pattern.compile("\"pid\":(\\d+)");
    /** The listening socket's number in every worker (docs/ARCHITECTURE.md). */
    private static final int LISTENER_FD = 6;

    @Test
    void aPromotedSpareServesInTheDeadWorkersSlotWithTheSlotsAffinityAndAnotherSpareIsStarted() throws Exception {
        String slot1Cpu = Integer.toString(AllowedCpus.nth(1));
        try (RunningMaster master = RunningMaster.start("worker_spares = 1\n" + AllowedCpus.affinityForWorkers(2))) {
            List<Integer> workers = awaitServing(master, 2);
            int spare = awaitSpare(master, Set.of());
            assertThat(ProcFs.parentOf(spare)).isEqualTo(master.pid());
            assertThat(ProcFs.cmdline(spare)).isEqualTo("masterwork: worker process (spare)");
            String masterCpus = ProcFs.status("/proc/" + master.pid(), "Cpus_allowed_list");
            assertThat(threadCpus(spare)).as("a spare is pinned to no slot's CPU").containsOnly(masterCpus);
            // The spare is listed apart, never as a worker.
            String status = CrashLoopAndWatchdogIT.controlCommand(master, "status");
            assertThat(status).contains("\"desired_spares\":1").containsPattern("\"spares\":\\[\\{\"spare\":0,\"pid\":" + spare
                    + ",\"generation\":1,\"state\":\"ready\"");
            assertThat(status.substring(status.indexOf("\"workers\""), status.indexOf("\"spares\"")))
                    .doesNotContain("\"pid\":" + spare + ",");

            // The worker in slot 1 runs on the second allowed CPU; it dies, and the spare takes its slot.
            int victim = workers.stream().filter(w -> "1".equals(slotOf(master.errorLog(), w))).findFirst().orElseThrow();
            assertThat(threadCpus(victim)).containsOnly(slot1Cpu);
            RunningMaster.kill("KILL", victim);

            String answer = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Http.get(master.port(), "/_worker").text(), a -> a.contains("\"pid\":" + spare + ","));
            assertThat(answer).contains("\"slot\":1,").contains("\"generation\":1");
            int sibling = workers.stream().filter(w -> w != victim).findFirst().orElseThrow();
            assertThat(answer).as("the promoted spare holds its sibling's inbox").contains("{\"slot\":0,\"pid\":" + sibling + "}");
            // The promoted spare accepts before the master has read its READY: the master's ready line may follow
            // the first answer.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(master.errorLog())
                    .contains("start worker process " + spare + " (slot 1): spare 0 promoted")
                    .contains("worker process " + spare + " (slot 1) ready in ")
                    .doesNotContain("respawning in")
                    // A spare that could not rehearse (its access log on /dev/null refused) promotes cold: 200 ms
                    // from kill -9 to serving instead of ~25 (bench/worker-respawn.sh).
                    .doesNotContain("spare rehearsal skipped"));
            assertThat(ProcFs.cmdline(spare)).isEqualTo("masterwork: worker process");
            // The slot's CPUs follow READY (no client waits for them); the promoted worker's own ready line comes after.
            await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLog().contains(spare + "#loop: worker ready: slot 1 "));
            assertThat(threadCpus(spare)).as("every thread of the promoted spare runs on slot 1's CPU").containsOnly(slot1Cpu);
            assertThat(ProcFs.fds(spare).get(5)).startsWith("/memfd:masterwork-config");
            // The surviving sibling learned of the new worker in slot 1 (OPEN_CHANNEL, as for a fresh worker).
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(siblingsAnsweredBy(master, sibling))
                    .contains("{\"slot\":1,\"pid\":" + spare + "}"));

            int replacement = awaitSpare(master, Set.of(spare));
            assertThat(ProcFs.cmdline(replacement)).isEqualTo("masterwork: worker process (spare)");
            assertThat(servingWorkers(master)).containsExactlyInAnyOrder(sibling, spare);
        }
    }

    @Test
    void aSpareNeverAcceptsBeforeItsPromotionAndStopsWithTheMaster() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1")) {
            int worker = awaitServing(master, 1).get(0);
            int spare = awaitSpare(master, Set.of());
            // The spare holds the listening socket (the master's own) but has it in no epoll set; the worker does.
            assertThat(ProcFs.fds(spare).get(LISTENER_FD)).isEqualTo(ProcFs.fds(worker).get(LISTENER_FD)).startsWith("socket:[");
            assertThat(epollWatches(worker, LISTENER_FD)).as("the check sees a serving worker's listener").isTrue();
            assertThat(epollWatches(spare, LISTENER_FD)).as("a spare does not watch the listener").isFalse();

            // Whatever comes in is answered by the worker, never by the spare.
            Set<Integer> answeredBy = answerersOf(master, 200, 8);
            assertThat(answeredBy).containsExactly(worker);
            assertThat(epollWatches(spare, LISTENER_FD)).isFalse();

            RunningMaster.kill("KILL", worker);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Http.get(master.port(), "/_worker").text().contains("\"pid\":" + spare + ","));
            assertThat(epollWatches(spare, LISTENER_FD)).as("promoted, it accepts").isTrue();

            int next = awaitSpare(master, Set.of(spare));
            master.signal("QUIT");
            assertThat(master.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(ProcFs.exists(next)).as("the spare stops with the master").isFalse();
            assertThat(ProcFs.exists(spare)).isFalse();
            assertThat(master.errorLog()).contains("spare worker process " + next + " exited with code 0")
                    .doesNotContain("sending SIGKILL");
        }
    }

    @Test
    void aReloadPromotesSparesWithTheNewConfigurationAndStartsFreshWorkersWhenTheJvmMustChange() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1\nhttp { body = \"one\\n\" }")) {
            int old = awaitServing(master, 1).get(0);
            int spare = awaitSpare(master, Set.of());

            rewriteConfig(master, "worker_processes = 1\nworker_spares = 1\nhttp { body = \"two\\n\" }");
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(40)).until(() -> master.errorLog().contains("reload complete"));
            assertThat(Http.get(master.port(), "/").text()).isEqualTo("two\n");
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"pid\":" + spare + ",").contains("\"generation\":2");
            assertThat(master.errorLog()).contains("start worker process " + spare + " (slot 1): spare 0 promoted");
            await().atMost(Duration.ofSeconds(20)).until(() -> !ProcFs.exists(old));

            // worker_jvm_options cannot change in a started JVM: fresh workers, and the spares are replaced.
            int spare2 = awaitSpare(master, Set.of(spare));
            rewriteConfig(master, "worker_processes = 1\nworker_spares = 1\nworker_jvm_options = [\"-Dmasterwork.it=3\"]\n"
                    + "http { body = \"three\\n\" }");
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(60)).until(() -> count(master.errorLog(), "reload complete") == 2);
            String answer = Http.get(master.port(), "/_worker").text();
            assertThat(answer).contains("\"generation\":3").doesNotContain("\"pid\":" + spare2 + ",");
            assertThat(Http.get(master.port(), "/").text()).isEqualTo("three\n");
            assertThat(master.errorLog()).contains("spare worker process " + spare2
                    + " cannot serve generation 3 (worker_jvm_options changed)");
            int spare3 = awaitSpare(master, Set.of(spare, spare2));
            assertThat(ProcFs.cmdline(spare3)).isEqualTo("masterwork: worker process (spare)");
            await().atMost(Duration.ofSeconds(20)).until(() -> !ProcFs.exists(spare2));
        }
    }

    /**
     * A reload that finds its spare still starting promotes it (raised from idle priority) instead of starting a cold
     * JVM beside it, and the spare skips its rehearsal: the reload waits for it alone.
     */
    @Test
    void aReloadPromotesASpareThatIsStillStartingInsteadOfStartingAColdJvm() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1\n")) {
            int old = awaitServing(master, 1).get(0);
            // HUP as soon as the spare's process exists: a JVM needs far more than the poll interval to say READY.
            int spare = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(2))
                    .until(() -> master.spares().stream().findFirst().orElse(-1), p -> p > 0);
            master.signal("HUP");
            await().atMost(Duration.ofSeconds(60)).until(() -> master.errorLog().contains("reload complete"));
            String log = master.errorLog();
            assertThat(log).containsPattern("start worker process " + spare + " \\(slot \\d+\\): spare 0 promoted, \\d+ ms after "
                    + "its spawn \\(still starting\\)");
            assertThat(log).doesNotContain("spare worker process " + spare + " (spare 0) ready in");
            String afterHup = log.substring(log.indexOf("reconfiguring"));
            assertThat(afterHup).as("no cold JVM for the new generation")
                    .doesNotContainPattern("start worker process (?!" + spare + " )\\d+ \\(slot");
            assertThat(log).contains(spare + "#main: spare rehearsal not run");
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"pid\":" + spare + ",").contains("\"generation\":2");
            await().atMost(Duration.ofSeconds(20)).until(() -> !ProcFs.exists(old));
        }
    }

    /**
     * Eight HUPs two seconds apart, with a spare per worker (auto): each reload promotes spares and their replacements
     * start afterwards, never two spare JVMs at once and never while a reload's generation is starting.
     */
    @Test
    void aBurstOfReloadsNeverPilesUpSpareStarts() throws Exception {
        try (RunningMaster master = RunningMaster.builder().defaultSpares().workerProcesses(2).start()) {
            awaitServing(master, 2);
            SparesByDefaultIT.awaitReadySpares(master, 2);
            for (int i = 0; i < 8; i++) {
                master.signal("HUP");
                Thread.sleep(2000);
            }
            // HUPs that come during a reload are one queued reload, not eight: wait until every reload begun is over.
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                String log = master.errorLog();
                return count(log, "reconfiguring") == count(log, "reload complete") + count(log, "reload failed");
            });
            String log = master.errorLog();
            assertThat(count(log, "reload failed")).isZero();
            assertThat(count(log, "spare 0 promoted") + count(log, "spare 1 promoted")).as("spares were used").isPositive();
            Set<String> starting = new HashSet<>();
            boolean reloading = false;
            Matcher m = Pattern.compile("(?m)(start spare worker process (\\d+))|(spare worker process (\\d+) \\(spare \\d+\\) ready)"
                    + "|(start worker process (\\d+) \\(slot \\d+\\): spare)|(spare worker process (\\d+) (?!\\(spare))"
                    + "|(reconfiguring)|(generation \\d+ serving with)").matcher(log);
            while (m.find()) {
                if (m.group(1) != null) {
                    assertThat(starting).as("spares starting when spare %s started", m.group(2)).isEmpty();
                    assertThat(reloading).as("a reload's generation was starting when spare %s started", m.group(2)).isFalse();
                    starting.add(m.group(2));
                } else if (m.group(3) != null) {
                    starting.remove(m.group(4));
                } else if (m.group(5) != null) {
                    starting.remove(m.group(6));
                } else if (m.group(7) != null) {
                    starting.remove(m.group(8));
                } else if (m.group(9) != null) {
                    reloading = true;
                } else {
                    reloading = false;
                }
            }
            SparesByDefaultIT.awaitReadySpares(master, 2);
        }
    }

    @Test
    void aCrashLoopingSlotStillBacksOffWhenSparesTakeItOver() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 1\nworker_spares = 1\n"
                + "worker_respawn_backoff = 100ms\nworker_respawn_backoff_max = 400ms\n"
                + "modules { worker = [\"io.masterwork.it.apps.CrashAtStartModule\"] }")) {
            // The worker crashes as its application starts; so does every spare promoted into its slot.
            await().atMost(Duration.ofSeconds(90)).until(() -> delays(master.errorLog()).size() >= 4
                    && count(master.errorLog(), "promoted") >= 2);
            assertThat(delays(master.errorLog()).subList(0, 4)).containsExactly(100L, 200L, 400L, 400L);
            // Spares did take the slot over (a promotion instead of a JVM start), and the backoff went on growing.
            assertThat(master.errorLog()).containsPattern("start worker process \\d+ \\(slot 0\\): spare \\d+ promoted");
            assertThat(master.isAlive()).isTrue();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static void rewriteConfig(RunningMaster master, String extra) throws IOException {
        Files.writeString(master.prefix().resolve("conf/masterwork.conf"),
                "listen = \"127.0.0.1:" + master.port() + "\"\nworker_shutdown_timeout = 5s\n" + extra + "\n");
    }

    /** Children of the master titled as serving workers (not spares), once n of them said READY. */
    static List<Integer> awaitServing(RunningMaster master, int n) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            List<Integer> serving = servingWorkers(master);
            String log = master.errorLog();
            boolean allReady = serving.stream().allMatch(p -> log.contains("worker process " + p + " (slot "));
            return serving.size() == n && allReady && log.contains("serving: ") ? serving : null;
        }, w -> w != null);
    }

    static List<Integer> servingWorkers(RunningMaster master) {
        return master.workers().stream().filter(p -> "masterwork: worker process".equals(ProcFs.cmdline(p)))
                .collect(Collectors.toList());
    }

    /** A live spare, ready as the master logs it, that is none of {@code seen}. */
    static int awaitSpare(RunningMaster master, Set<Integer> seen) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            Matcher m = SPARE_READY.matcher(master.errorLog());
            Integer found = null;
            while (m.find()) {
                int pid = Integer.parseInt(m.group(1));
                if (!seen.contains(pid) && ProcFs.exists(pid)
                        && "masterwork: worker process (spare)".equals(ProcFs.cmdline(pid))) {
                    found = pid;
                }
            }
            return found;
        }, p -> p != null);
    }

    /** The distinct Cpus_allowed_list of every thread of {@code pid}. */
    private static Set<String> threadCpus(int pid) {
        Set<String> out = new HashSet<>();
        for (int tid : ProcFs.tasks(pid)) {
            String cpus = ProcFs.status("/proc/" + pid + "/task/" + tid, "Cpus_allowed_list");
            if (cpus != null) {
                out.add(cpus);
            }
        }
        return out;
    }

    /** Whether any epoll instance of {@code pid} watches its descriptor {@code fd} ("tfd:" lines of /proc fdinfo). */
    static boolean epollWatches(int pid, int fd) throws IOException {
        Pattern target = Pattern.compile("(?m)^tfd:\\s+" + fd + "\\s");
        for (var entry : ProcFs.fds(pid).entrySet()) {
            if (!entry.getValue().equals("anon_inode:[eventpoll]")) {
                continue;
            }
            String info = ProcFs.read(pid, "fdinfo/" + entry.getKey());
            if (info != null && target.matcher(info).find()) {
                return true;
            }
        }
        return false;
    }

    /** Sends {@code requests} GET /_worker over {@code threads} concurrent connections; the pids that answered. */
    private static Set<Integer> answerersOf(RunningMaster master, int requests, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                answers.add(pool.submit(() -> {
                    Matcher m = PID.matcher(Http.get(master.port(), "/_worker").text());
                    return m.find() ? Integer.parseInt(m.group(1)) : -1;
                }));
            }
            Set<Integer> pids = new HashSet<>();
            for (Future<Integer> answer : answers) {
                pids.add(answer.get());
            }
            return pids;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The siblings list of /_worker as answered by {@code pid} (asked until that worker answers). */
    private static String siblingsAnsweredBy(RunningMaster master, int pid) throws IOException {
        for (int i = 0; i < 50; i++) {
            String answer = Http.get(master.port(), "/_worker").text();
            if (answer.contains("\"pid\":" + pid + ",")) {
                return answer.substring(answer.indexOf("\"siblings\""));
            }
        }
        return "";
    }

    private static String slotOf(String log, int pid) {
        Matcher m = Pattern.compile("start worker process " + pid + " \\(slot (\\d+)\\)").matcher(log);
        return m.find() ? m.group(1) : null;
    }

    private static long count(String text, String needle) {
        return text.split(Pattern.quote(needle), -1).length - 1L;
    }

    private static List<Long> delays(String log) {
        List<Long> out = new ArrayList<>();
        Matcher m = Pattern.compile("respawning in (\\d+) ms").matcher(log);
        while (m.find()) {
            out.add(Long.parseLong(m.group(1)));
        }
        return out;
    }
}
