package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.RunningMaster;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Issue "The built-in HTTP application": every worker answers, /_worker tells the truth. */
class HttpApplicationIT {
    private static final Pattern PID = Pattern.compile("\"pid\":(\\d+)");
    private static final Pattern SIBLING = Pattern.compile("\\{\"slot\":(\\d+),\"pid\":(\\d+)\\}");

    /** Asks until every worker has answered /_worker once; returns their answers. */
    private static List<String> askEveryWorker(RunningMaster master, List<Integer> workers) throws Exception {
        java.util.Map<Integer, String> answers = new java.util.TreeMap<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            String body = Http.get(master.port(), "/_worker").text();
            Matcher m = PID.matcher(body);
            if (m.find()) {
                answers.put(Integer.parseInt(m.group(1)), body);
            }
            return answers.keySet().containsAll(workers);
        });
        return List.copyOf(answers.values());
    }

    private static void assertSiblingsAreTheOtherWorkers(List<String> answers, List<Integer> workers) {
        for (String body : answers) {
            Matcher own = PID.matcher(body);
            assertThat(own.find()).isTrue();
            int self = Integer.parseInt(own.group(1));
            Set<Integer> siblings = new HashSet<>();
            Matcher m = SIBLING.matcher(body);
            while (m.find()) {
                siblings.add(Integer.parseInt(m.group(2)));
            }
            Set<Integer> expected = new HashSet<>(workers);
            expected.remove(self);
            assertThat(siblings).as("siblings of %d in %s", self, body).isEqualTo(expected);
        }
    }

    @Test
    void everyWorkerAnswersWithTheBodyAndTrueSiblings() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 3\nhttp { body = \"hello from masterwork\\n\" }")) {
            List<Integer> workers = master.awaitWorkers(3);
            assertThat(Http.get(master.port(), "/anything").text()).isEqualTo("hello from masterwork\n");
            assertThat(Http.get(master.port(), "/anything").headers()).containsIgnoringCase("content-type: text/plain");
            List<String> answers = askEveryWorker(master, workers);
            assertThat(answers).allMatch(a -> a.contains("\"generation\":1"));
            assertSiblingsAreTheOtherWorkers(answers, workers);

            RunningMaster.kill("KILL", workers.get(1));
            await().atMost(Duration.ofSeconds(30)).until(() -> !master.workers().contains(workers.get(1))
                    && master.workers().size() == 3);
            List<Integer> after = master.awaitWorkers(3);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertSiblingsAreTheOtherWorkers(askEveryWorker(master, after), after));
        }
    }

    @Test
    void bytesStreamsExactlyNBytesAndRefusesMoreThanMaxBytes() throws Exception {
        try (RunningMaster master = RunningMaster.start("http { max_bytes = 1000000 }")) {
            master.awaitWorkers(2);
            assertThat(Http.get(master.port(), "/_bytes/1000000").body()).hasSize(1_000_000);
            assertThat(Http.get(master.port(), "/_bytes/1000001").status()).isEqualTo(400);
        }
    }

    @Test
    void theExampleDownstreamApplicationRunsWithItsOwnSettings() throws Exception {
        try (RunningMaster master = RunningMaster.start(
                "modules { worker = [\"io.masterwork.examples.hello.HelloModule\"] }\napp { greeting = \"bonjour\" }")) {
            master.awaitWorkers(2);
            assertThat(Http.get(master.port(), "/").text()).contains("bonjour");
        }
    }
}
