package io.masterwork.worker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.posix.Signal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The built-in application's uses of sibling messages across three real workers wired as the master
 * wires them (every worker holds every sibling's inbox): {@code GET /_siblings/requests} (the worker
 * asked broadcasts the question and answers with every worker's request count) and
 * {@code POST /_cache/purge} (one worker makes every worker drop its cached value).
 */
class SiblingDemosIT {
    static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    final List<MasterStandIn> workers = new ArrayList<>();

    @AfterEach
    void stop() {
        workers.forEach(MasterStandIn::close);
    }

    private void startThreeWiredWorkers() throws IOException {
        for (int slot = 0; slot < 3; slot++) {
            Path own = Files.createDirectories(dir.resolve("w" + slot));
            MasterStandIn worker = MasterStandIn.create(own);
            workers.add(worker);
            worker.spawnInSlot(worker.defaultJson("\"access_log\":\"off\""), slot);
        }
        workers.forEach(w -> w.awaitReady(BOUND));
        for (int to = 0; to < 3; to++) {
            for (int of = 0; of < 3; of++) {
                if (to != of) {
                    workers.get(to).send(ChannelFrame.openChannel(workers.get(of).pid, of, workers.get(of).inboxWriteFd));
                }
            }
        }
    }

    /**
     * Waits until every worker shows its two siblings in {@code /_worker}; returns how many requests
     * that took on each worker (they count in {@code /_siblings/requests}).
     */
    private long[] awaitEverySiblingKnown() {
        long[] requests = new long[workers.size()];
        for (int i = 0; i < workers.size(); i++) {
            MasterStandIn worker = workers.get(i);
            int index = i;
            await().atMost(BOUND).until(() -> {
                requests[index]++;
                return HttpProbe.get(worker.address, "/_worker").text().split("\"slot\"").length - 1 == 3;
            });
        }
        return requests;
    }

    /** slot → that worker's entry of the answer. */
    private Map<Long, Config> askSiblings(MasterStandIn worker) throws IOException {
        HttpProbe.Response r = HttpProbe.get(worker.address, "/_siblings/requests");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("application/json");
        Map<Long, Config> bySlot = new TreeMap<>();
        for (Config entry : ConfigFactory.parseString(r.text()).getConfigList("workers")) {
            bySlot.put(entry.getLong("slot"), entry);
        }
        return bySlot;
    }

    @Test
    void everyWorkersRequestCountComesBackOverTheInboxes() throws Exception {
        startThreeWiredWorkers();
        // The siblings are known once every worker shows two in /_worker (one request each).
        long[] asked = awaitEverySiblingKnown();
        for (int i = 0; i < 4; i++) {
            HttpProbe.get(workers.get(1).address, "/");
        }
        for (int i = 0; i < 2; i++) {
            HttpProbe.get(workers.get(2).address, "/");
        }

        Map<Long, Config> answer = askSiblings(workers.get(0));

        assertThat(answer).containsOnlyKeys(0L, 1L, 2L);
        for (long slot = 0; slot < 3; slot++) {
            assertThat(answer.get(slot).getInt("pid")).isEqualTo(workers.get((int) slot).pid);
        }
        // Each counted its /_worker requests; worker 0 the question too.
        assertThat(answer.get(0L).getLong("requests")).isEqualTo(asked[0] + 1);
        assertThat(answer.get(1L).getLong("requests")).isEqualTo(asked[1] + 4);
        assertThat(answer.get(2L).getLong("requests")).isEqualTo(asked[2] + 2);
    }

    @Test
    void aSiblingThatDiedIsReportedWithAnErrorNotWaitedFor() throws Exception {
        startThreeWiredWorkers();
        awaitEverySiblingKnown();
        MasterStandIn dead = workers.get(2);
        MasterStandIn.POSIX.kill(dead.pid, Signal.KILL);
        assertThat(dead.awaitExit(BOUND)).isNotNull();

        Map<Long, Config> answer = askSiblings(workers.get(0));

        assertThat(answer).containsOnlyKeys(0L, 1L, 2L);
        assertThat(answer.get(1L).getLong("requests")).isPositive();
        assertThat(answer.get(2L).hasPath("requests")).isFalse();
        assertThat(answer.get(2L).getString("error")).contains("gone");
        // The dead sibling is no longer listed as one this worker can send to.
        assertThat(askSiblings(workers.get(0))).containsOnlyKeys(0L, 1L);
    }

    @Test
    void pipelinedRequestsBehindTheQuestionAreAnsweredInOrder() throws Exception {
        startThreeWiredWorkers();
        awaitEverySiblingKnown();
        try (HttpProbe c = new HttpProbe(workers.get(0).address, 10_000)) {
            c.send("GET /_siblings/requests HTTP/1.1\r\nHost: t\r\n\r\nGET /_worker HTTP/1.1\r\nHost: t\r\n\r\n");
            HttpProbe.Response first = c.read();
            HttpProbe.Response second = c.read();
            assertThat(first.text()).startsWith("{\"workers\":[");
            assertThat(second.text()).startsWith("{\"pid\":" + workers.get(0).pid);
        }
    }

    private static HttpProbe.Response purge(MasterStandIn worker) throws IOException {
        try (HttpProbe c = new HttpProbe(worker.address, 10_000)) {
            c.send("POST /_cache/purge HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return c.read();
        }
    }

    private String cached(int worker) throws IOException {
        HttpProbe.Response r = HttpProbe.get(workers.get(worker).address, "/_cache");
        assertThat(r.status()).isEqualTo(200);
        return r.text();
    }

    private Config cacheShownBy(int worker) throws IOException {
        return ConfigFactory.parseString(HttpProbe.get(workers.get(worker).address, "/_worker").text()).getConfig("cache");
    }

    @Test
    void aPurgeOnOneWorkerDropsTheCachedValueOnEveryWorker() throws Exception {
        startThreeWiredWorkers();
        awaitEverySiblingKnown();
        String[] before = new String[3];
        for (int w = 0; w < 3; w++) {
            before[w] = cached(w);
            assertThat(before[w]).contains("by pid " + workers.get(w).pid);
            assertThat(cached(w)).as("kept until purged").isEqualTo(before[w]);
            assertThat(cacheShownBy(w).getInt("purges")).isZero();
        }

        HttpProbe.Response r = purge(workers.get(1));

        assertThat(r.status()).isEqualTo(200);
        Config answer = ConfigFactory.parseString(r.text());
        assertThat(answer.getConfigList("purged")).extracting(c -> c.getLong("slot")).containsExactly(0L, 1L, 2L);
        assertThat(answer.getConfigList("failed")).isEmpty();
        for (int w = 0; w < 3; w++) {
            int worker = w;
            await().atMost(BOUND).until(() -> cacheShownBy(worker).getInt("purges") == 1);
            assertThat(cacheShownBy(w).getIsNull("value")).isTrue();
            assertThat(cached(w)).isNotEqualTo(before[w]).contains("by pid " + workers.get(w).pid);
        }
    }
}
