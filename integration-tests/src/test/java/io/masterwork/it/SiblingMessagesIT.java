package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.RunningMaster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Issue "Messages between workers", under a real master: the cache purge demo over the sibling inboxes. */
class SiblingMessagesIT {
    private static final Pattern PID = Pattern.compile("\"pid\":(\\d+)");
    private static final Pattern PURGES = Pattern.compile("\"purges\":(\\d+)");

    /** Every worker's /_worker answer, by pid (connections land on workers as the kernel likes). */
    private static Map<Integer, String> everyWorker(RunningMaster master, List<Integer> workers) {
        Map<Integer, String> answers = new TreeMap<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            String body = Http.get(master.port(), "/_worker").text();
            Matcher m = PID.matcher(body);
            if (m.find()) {
                answers.put(Integer.parseInt(m.group(1)), body);
            }
            return answers.keySet().containsAll(workers);
        });
        return answers;
    }

    private static int purges(String workerJson) {
        Matcher m = PURGES.matcher(workerJson);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    @Test
    void aPurgeOnOneWorkerReachesEveryWorkerIncludingOneJustRespawned() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 3")) {
            List<Integer> workers = master.awaitWorkers(3);
            everyWorker(master, workers).values().forEach(w -> assertThat(purges(w)).isZero());

            Http.Response purge = Http.post(master.port(), "/_cache/purge");
            assertThat(purge.status()).isEqualTo(200);
            assertThat(purge.text()).contains("\"purged\"").contains("\"failed\":[]");
            everyWorker(master, workers).values().forEach(w -> assertThat(purges(w)).as(w).isEqualTo(1));

            // A worker respawned a moment ago: the master has handed it its siblings' inboxes (and them its
            // own) before its JVM even started; a purge now reaches it once it serves.
            int victim = workers.get(0);
            RunningMaster.kill("KILL", victim);
            int replacement = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() ->
                    master.workers().stream().filter(p -> !workers.contains(p)).findFirst().orElse(-1), p -> p > 0);
            Http.Response second = Http.post(master.port(), "/_cache/purge");
            assertThat(second.status()).isEqualTo(200);
            List<Integer> now = master.awaitWorkers(3);
            assertThat(now).contains(replacement);
            Map<Integer, String> after = everyWorker(master, now);
            for (int w : now) {
                assertThat(purges(after.get(w))).as("purges seen by %d", w).isGreaterThanOrEqualTo(w == replacement ? 1 : 2);
            }
        }
    }

    @Test
    void aPurgeRightAfterAWorkerDiedAnswersAndNamesNoDeadWorkerAsPurged() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 3")) {
            List<Integer> workers = master.awaitWorkers(3);
            int victim = workers.get(1);
            RunningMaster.kill("KILL", victim);
            Http.Response purge = Http.post(master.port(), "/_cache/purge");
            assertThat(purge.status()).isEqualTo(200);
            // Either the master's CLOSE_CHANNEL came first (the dead one is not a sibling any more) or the send
            // failed: the answer lists it under "failed". Never a hang, never "purged".
            String purged = purge.text().substring(0, purge.text().indexOf("\"failed\""));
            assertThat(purged).doesNotContain("\"pid\":" + victim);
        }
    }
}
