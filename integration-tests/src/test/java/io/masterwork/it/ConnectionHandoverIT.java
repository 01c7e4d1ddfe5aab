package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.masterwork.testkit.Http;
import io.masterwork.testkit.KeepAliveLoad;
import io.masterwork.testkit.Persistent;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Issue 16, "Live connection handover": a reload or a TTOU closes no connection at all, checked from outside. */
class ConnectionHandoverIT {

    private static void rewriteConfig(RunningMaster master, String extra) throws IOException {
        Path conf = master.prefix().resolve("conf/masterwork.conf");
        Files.writeString(conf, "listen = \"127.0.0.1:" + master.port() + "\"\nworker_spares = 0\nworker_processes = 2\n"
                + "worker_shutdown_timeout = 10s\n" + extra + "\n");
    }

    private static long count(String text, String needle) {
        return text.split(Pattern.quote(needle), -1).length - 1L;
    }

    private static void reloadAndWait(RunningMaster master, int reloadsSoFar) {
        master.signal("HUP");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> count(master.errorLog(), "reload complete") >= reloadsSoFar);
    }

    private static Config json(Persistent.Response response) {
        return ConfigFactory.parseString(response.body());
    }

    @Test
    void onePersistentConnectionIsAnsweredByFiveGenerationsInTurn() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            try (Persistent client = new Persistent(master.port())) {
                int localPort = client.localPort();
                Config first = json(client.request("/_worker"));
                assertThat(first.getInt("generation")).isEqualTo(1);
                Set<Integer> answeredBy = new HashSet<>(List.of(first.getInt("pid")));
                int previous = first.getInt("pid");
                for (int reload = 1; reload <= 5; reload++) {
                    rewriteConfig(master, "");
                    reloadAndWait(master, reload);
                    assertThat(ProcFs.exists(previous)).as("the previous owner has exited").isFalse();
                    Persistent.Response response = client.request("/_worker");
                    assertThat(response.statusLine()).startsWith("HTTP/1.1 200");
                    assertThat(response.closes()).isFalse();
                    Config now = json(response);
                    assertThat(now.getInt("generation")).isEqualTo(reload + 1);
                    assertThat(now.getInt("handover.adopted")).isPositive();
                    assertThat(answeredBy.add(now.getInt("pid"))).as("a new worker answers").isTrue();
                    assertThat(client.localPort()).isEqualTo(localPort);
                    previous = now.getInt("pid");
                }
            }
            assertThat(master.errorLog()).doesNotContain("closed a moved connection").doesNotContain("declined");
        }
    }

    /**
     * A client that sends its next request the moment it has the previous answer, whole, pipelined by two,
     * or cut in two writes (so the request line may sit half read in a worker when it moves): every request
     * is answered exactly once, in order, on the one connection, across five reloads.
     */
    @Test
    void aRequestSentAtTheMomentOfHandoverIsAnsweredExactlyOnce() throws Exception {
        try (RunningMaster master = RunningMaster.start("http { keepalive_requests = 100000000 }")) {
            master.awaitWorkers(2);
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Integer> sent = new ArrayList<>();
            Set<Integer> generations = new HashSet<>();
            Thread client = new Thread(() -> {
                try (Persistent c = new Persistent(master.port())) {
                    int id = 0;
                    while (running.get()) {
                        int kind = id % 3;
                        if (kind == 0) {
                            c.send(Persistent.get("/_worker?id=" + id));
                            sent.add(id);
                        } else if (kind == 1) {
                            c.send(Persistent.get("/_worker?id=" + id) + Persistent.get("/_worker?id=" + (id + 1)));
                            sent.add(id);
                            sent.add(++id);
                        } else {
                            String request = Persistent.get("/_worker?id=" + id);
                            c.send(request.substring(0, 9));
                            Thread.sleep(2);
                            c.send(request.substring(9));
                            sent.add(id);
                        }
                        int answers = kind == 1 ? 2 : 1;
                        for (int i = 0; i < answers; i++) {
                            Persistent.Response response = c.read();
                            if (!response.statusLine().startsWith("HTTP/1.1 200") || response.closes()) {
                                throw new IOException("unexpected answer: " + response);
                            }
                            generations.add(ConfigFactory.parseString(response.body()).getInt("generation"));
                        }
                        id++;
                    }
                    // Nothing more may arrive: a request answered twice would leave a second answer behind.
                    c.socket.setSoTimeout(500);
                    try {
                        int extra = c.readByte();
                        throw new IOException("bytes after the last answer (" + extra + ")");
                    } catch (java.net.SocketTimeoutException expected) {
                        // nothing more: good
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "client");
            client.start();
            for (int reload = 1; reload <= 5; reload++) {
                Thread.sleep(700);
                rewriteConfig(master, "http { keepalive_requests = 100000000 }");
                reloadAndWait(master, reload);
            }
            Thread.sleep(500);
            running.set(false);
            client.join(20_000);
            assertThat(failure.get()).as("client failure").isNull();
            assertThat(generations).contains(1, 6);
            // Each request appears once in the access log (written by whichever worker answered it).
            String accessLog = Files.readString(master.prefix().resolve("logs/access.log"));
            Map<Integer, Integer> logged = new HashMap<>();
            Matcher m = Pattern.compile("GET /_worker\\?id=(\\d+) HTTP").matcher(accessLog);
            while (m.find()) {
                logged.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
            }
            assertThat(sent).hasSizeGreaterThan(100);
            for (int id : sent) {
                assertThat(logged.get(id)).as("request " + id + " logged").isEqualTo(1);
            }
            assertThat(logged).hasSameSizeAs(sent);
        }
    }

    @Test
    void keepAliveLoadAcrossFiveReloadsFailsNothingAndOpensNoNewConnection() throws Exception {
        String http = "http { keepalive_requests = 100000000, access_log = off }";
        try (RunningMaster master = RunningMaster.start(http)) {
            master.awaitWorkers(2);
            KeepAliveLoad load = new KeepAliveLoad(master.port(), 20);
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> load.connects.get() == 20 && load.ok.get() > 200);
                for (int reload = 1; reload <= 5; reload++) {
                    // Each generation serves the load a while before the next reload; no assertion needs more.
                    Thread.sleep(500);
                    rewriteConfig(master, http);
                    reloadAndWait(master, reload);
                }
                long okAfterReloads = load.ok.get();
                await().atMost(Duration.ofSeconds(10)).until(() -> load.ok.get() > okAfterReloads + 200);
            } finally {
                load.close();
            }
            assertThat(load.failures).as("failures by kind").isEmpty();
            assertThat(load.failed.get()).as("%s", load).isZero();
            assertThat(load.connects.get()).as("TCP connections opened by the client").isEqualTo(20);
            assertThat(load.ok.get()).isGreaterThan(1000);
            assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":6");
        }
    }

    @Test
    void ttouMovesTheRetiredWorkersConnectionsToTheOthers() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 3")) {
            master.awaitWorkers(3);
            List<Persistent> clients = new ArrayList<>();
            try {
                // TTOU retires the newest slot (2): connect until it holds a few connections.
                int onNewest = 0;
                int newestPid = -1;
                for (int i = 0; i < 300 && onNewest < 3; i++) {
                    Persistent c = new Persistent(master.port());
                    clients.add(c);
                    Config who = json(c.request("/_worker"));
                    if (who.getInt("slot") == 2) {
                        onNewest++;
                        newestPid = who.getInt("pid");
                    }
                }
                assertThat(onNewest).isEqualTo(3);
                master.signal("TTOU");
                int retired = newestPid;
                await().atMost(Duration.ofSeconds(30)).until(() -> !ProcFs.exists(retired));
                List<Integer> left = master.workers();
                assertThat(left).hasSize(2).doesNotContain(retired);
                for (Persistent c : clients) {
                    Persistent.Response r = c.request("/_worker");
                    assertThat(r.closes()).isFalse();
                    assertThat(left).contains(json(r).getInt("pid"));
                }
            } finally {
                for (Persistent c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void withHandoverOffIdleConnectionsEndGracefullyOnReload() throws Exception {
        try (RunningMaster master = RunningMaster.start("connection_handover = off")) {
            master.awaitWorkers(2);
            try (Persistent client = new Persistent(master.port())) {
                assertThat(client.request("/").statusLine()).startsWith("HTTP/1.1 200");
                rewriteConfig(master, "connection_handover = off");
                reloadAndWait(master, 1);
                // A FIN, not a reset: read says end of stream.
                assertThat(client.readByte()).isEqualTo(-1);
            }
        }
    }

    /** The new workers take one connection each and decline the rest: those end with a FIN, the others go on. */
    @Test
    void connectionsTheNewWorkersDeclineEndGracefully() throws Exception {
        try (RunningMaster master = RunningMaster.start("")) {
            master.awaitWorkers(2);
            List<Persistent> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) {
                    Persistent c = new Persistent(master.port());
                    clients.add(c);
                    assertThat(c.request("/").statusLine()).startsWith("HTTP/1.1 200");
                }
                rewriteConfig(master, "http { worker_connections = 1 }");
                reloadAndWait(master, 1);
                int ended = 0;
                int kept = 0;
                for (Persistent c : clients) {
                    c.socket.setSoTimeout(500);
                    try {
                        // A declined connection was closed by the new worker: end of stream, not a reset.
                        assertThat(c.readByte()).isEqualTo(-1);
                        ended++;
                    } catch (java.net.SocketTimeoutException stillOpen) {
                        c.socket.setSoTimeout(15_000);
                        assertThat(json(c.request("/_worker")).getInt("generation")).isEqualTo(2);
                        kept++;
                    }
                }
                assertThat(ended).isPositive();
                assertThat(kept).isPositive();
                assertThat(master.errorLog()).contains("declined a http/1.1 connection");
            } finally {
                for (Persistent c : clients) {
                    c.close();
                }
            }
        }
    }
}
