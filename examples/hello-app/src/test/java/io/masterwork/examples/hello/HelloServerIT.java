package io.masterwork.examples.hello;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.MasterworkExtension;
import io.masterwork.testkit.Persistent;
import io.masterwork.testkit.RunningMaster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * hello-app under a real master with real worker JVMs (masterwork-testkit), as its users run it: it serves its
 * greeting, a reload with a new {@code app.greeting} answers with the new one, a killed worker is replaced by one
 * that serves, and a keep-alive connection open across a reload is handed over to the new generation without a
 * lost request. A failsafe test: the master's class path is the one Failsafe gives it, hello-app's own jar included.
 */
class HelloServerIT {
    @RegisterExtension
    static final MasterworkExtension server = MasterworkExtension.of(
            RunningMaster.builder().workerModules(HelloModule.class).app("greeting = \"Hello\""));

    @Test
    void servesTheGreetingFromOneOfItsWorkers(RunningMaster master) throws Exception {
        Http.Response response = Http.get(master.port(), "/");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).startsWith("Hello from worker ");
        assertThat(master.workers()).contains(answeringPid(response.text()));
    }

    @Test
    void aReloadWithANewGreetingAnswersWithIt(RunningMaster master) throws Exception {
        List<Integer> firstGeneration = master.workers();

        master.reload("greeting = \"Bonjour\"");
        master.awaitGeneration(2);

        Http.Response response = Http.get(master.port(), "/");
        assertThat(response.text()).startsWith("Bonjour from worker ");
        assertThat(firstGeneration).doesNotContain(answeringPid(response.text()));
    }

    @Test
    void aKilledWorkerIsReplacedByOneThatServes(RunningMaster master) throws Exception {
        List<Integer> before = master.workers();
        int killed = master.killWorker();
        await().atMost(Duration.ofSeconds(30)).until(() -> !master.workers().contains(killed));
        List<Integer> replacements = new ArrayList<>(master.awaitWorkers(2));
        replacements.removeAll(before);
        assertThat(replacements).as("the workers after the kill, less those before it").hasSize(1);

        // Which worker accepts a connection is the kernel's choice: ask until the replacement has answered.
        List<String> answers = new ArrayList<>();
        await("an answer from the replacement " + replacements.get(0)).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20)).until(() -> {
            answers.add(Http.get(master.port(), "/").text());
            return answeringPid(answers.get(answers.size() - 1)) == replacements.get(0);
        });
        assertThat(answers).allMatch(a -> a.startsWith("Hello from worker ")).noneMatch(a -> answeringPid(a) == killed);
    }

    @Test
    void aKeepAliveConnectionIsAnsweredAcrossAReloadByTheNewGenerationWithoutALostRequest(RunningMaster master)
            throws Exception {
        List<Integer> firstGeneration = master.workers();
        AtomicBoolean asking = new AtomicBoolean(true);
        List<String> answers = new CopyOnWriteArrayList<>();
        try (Persistent connection = new Persistent(master.port())) {
            // One request after another on the one connection (Persistent never reconnects: one local port),
            // through the whole reload: an answer that does not come, or a closed or reset connection, ends the
            // client with an exception the test reports.
            CompletableFuture<Integer> client = CompletableFuture.supplyAsync(() -> {
                int sent = 0;
                try {
                    while (asking.get()) {
                        sent++;
                        Persistent.Response response = connection.request("/");
                        if (!response.statusLine().startsWith("HTTP/1.1 200") || response.closes()) {
                            throw new IllegalStateException("answer " + sent + ": " + response);
                        }
                        answers.add(response.body());
                        Thread.sleep(5);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("request " + sent + " on the kept-alive connection", e);
                }
                return sent;
            });
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> !answers.isEmpty() || client.isDone());
                master.reload("greeting = \"Bonjour\"");
                await("an answer with the new greeting on the connection").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(20)).until(() -> client.isDone()
                                || answers.get(answers.size() - 1).startsWith("Bonjour from worker "));
            } finally {
                asking.set(false);
            }
            int sent = client.get(30, TimeUnit.SECONDS);

            assertThat(answers).as("every request sent on the connection was answered").hasSize(sent);
            assertThat(answers.get(0)).startsWith("Hello from worker ");
            String last = answers.get(answers.size() - 1);
            assertThat(last).startsWith("Bonjour from worker ");
            assertThat(firstGeneration).doesNotContain(answeringPid(last));
            assertThat(answers.stream().map(a -> a.substring(0, a.indexOf(" from worker "))).distinct())
                    .as("the old greeting until the handover, the new one after it").containsExactly("Hello", "Bonjour");
        }
    }

    /** "Hello from worker 12345\n": 12345. */
    private static int answeringPid(String answer) {
        String text = answer.strip();
        return Integer.parseInt(text.substring(text.lastIndexOf(' ') + 1));
    }
}
