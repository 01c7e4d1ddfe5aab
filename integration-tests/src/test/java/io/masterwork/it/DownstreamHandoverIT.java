package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.Persistent;
import io.masterwork.testkit.RunningMaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 28: a downstream application (examples/hello-app, keep-alive, with the {@code HttpHandover} building
 * block) reloads without losing a request, as the built-in application does: one persistent connection is
 * answered by three generations in turn, each with its own {@code app.greeting}.
 */
class DownstreamHandoverIT {
    private static final String HELLO = "modules { worker = [\"io.masterwork.examples.hello.HelloModule\"] }\n";

    private static String app(String greeting) {
        return HELLO + "app { greeting = \"" + greeting + "\" }";
    }

    private static void rewriteConfig(RunningMaster master, String extra) throws IOException {
        Path conf = master.prefix().resolve("conf/masterwork.conf");
        Files.writeString(conf, "listen = \"127.0.0.1:" + master.port() + "\"\nworker_spares = 0\nworker_processes = 2\n"
                + "worker_shutdown_timeout = 10s\n" + extra + "\n");
    }

    private static long count(String text, String needle) {
        return text.split(Pattern.quote(needle), -1).length - 1L;
    }

    /** "Hello-N from worker PID": the pid. */
    private static int pid(Persistent.Response response) {
        String body = response.body().trim();
        return Integer.parseInt(body.substring(body.lastIndexOf(' ') + 1));
    }

    @Test
    void onePersistentConnectionIsAnsweredByThreeGenerationsWithTheirOwnSettings() throws Exception {
        try (RunningMaster master = RunningMaster.start(app("generation-1"))) {
            master.awaitWorkers(2);
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger sent = new AtomicInteger();
            AtomicInteger answered = new AtomicInteger();
            AtomicReference<String> lastGreeting = new AtomicReference<>("");
            List<String> greetingsInOrder = new ArrayList<>();
            Set<Integer> pids = new HashSet<>();
            AtomicInteger localPort = new AtomicInteger();
            AtomicBoolean samePort = new AtomicBoolean(true);
            // One connection, a request the moment the previous answer is in, for the whole test.
            Thread client = new Thread(() -> {
                try (Persistent c = new Persistent(master.port())) {
                    localPort.set(c.localPort());
                    while (running.get()) {
                        sent.incrementAndGet();
                        Persistent.Response response = c.request("/");
                        if (!response.statusLine().startsWith("HTTP/1.1 200") || response.closes()) {
                            throw new IOException("unexpected answer: " + response);
                        }
                        answered.incrementAndGet();
                        String greeting = response.body().substring(0, response.body().indexOf(" from worker"));
                        synchronized (greetingsInOrder) {
                            if (!greeting.equals(lastGreeting.get())) {
                                greetingsInOrder.add(greeting);
                            }
                            pids.add(pid(response));
                        }
                        lastGreeting.set(greeting);
                        if (c.localPort() != localPort.get()) {
                            samePort.set(false);
                        }
                        Thread.sleep(5);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "persistent-client");
            client.start();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> "generation-1".equals(lastGreeting.get()) || failure.get() != null);
                for (int reload = 1; reload <= 3; reload++) {
                    String greeting = "generation-" + (reload + 1);
                    rewriteConfig(master, app(greeting));
                    master.signal("HUP");
                    int reloads = reload;
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                            .until(() -> count(master.errorLog(), "reload complete") >= reloads || failure.get() != null);
                    // Only the new generation is left: the connection's next answer is its.
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                            .until(() -> greeting.equals(lastGreeting.get()) || failure.get() != null);
                    assertThat(failure.get()).as("the client's failure after reload %d", reload).isNull();
                }
            } finally {
                running.set(false);
                client.join(20_000);
            }
            assertThat(failure.get()).as("the client's failure").isNull();
            assertThat(answered.get()).as("every request sent was answered").isEqualTo(sent.get()).isGreaterThan(20);
            assertThat(greetingsInOrder).containsExactly("generation-1", "generation-2", "generation-3", "generation-4");
            assertThat(pids).as("workers that answered: at least one per generation").hasSizeGreaterThanOrEqualTo(4);
            assertThat(samePort.get()).as("the same local port throughout").isTrue();
            assertThat(master.errorLog()).doesNotContain("closed a moved connection").doesNotContain("declined");
        }
    }
    /**
     * Without a successor to move to (handover off here; a stop or a binary upgrade alike), the block ends each
     * keep-alive connection the HTTP way: its next answer says Connection: close and the server's FIN follows,
     * so a client busy on it loses no request.
     */
    @Test
    void withoutHandoverTheNextAnswerSaysCloseAndNoRequestIsLost() throws Exception {
        String off = "connection_handover = off\n";
        try (RunningMaster master = RunningMaster.start(off + app("before"))) {
            master.awaitWorkers(2);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<Persistent.Response> last = new AtomicReference<>();
            AtomicInteger answered = new AtomicInteger();
            Thread client = new Thread(() -> {
                try (Persistent c = new Persistent(master.port())) {
                    Persistent.Response response;
                    do {
                        response = c.request("/");
                        if (!response.statusLine().startsWith("HTTP/1.1 200")) {
                            throw new IOException("unexpected answer: " + response);
                        }
                        answered.incrementAndGet();
                        Thread.sleep(5);
                    } while (!response.closes() && answered.get() < 100_000);
                    last.set(response);
                    if (c.readByte() != -1) {
                        throw new IOException("bytes after an answer that said Connection: close");
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "keep-alive-client");
            client.start();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> answered.get() > 5 || failure.get() != null);
                rewriteConfig(master, off + app("after"));
                master.signal("HUP");
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                        .until(() -> count(master.errorLog(), "reload complete") >= 1);
            } finally {
                client.join(30_000);
            }
            assertThat(failure.get()).as("the client's failure").isNull();
            assertThat(last.get().body()).as("the last answer on the old connection").startsWith("before");
            try (Persistent fresh = new Persistent(master.port())) {
                assertThat(fresh.request("/").body()).startsWith("after");
            }
        }
    }
}
