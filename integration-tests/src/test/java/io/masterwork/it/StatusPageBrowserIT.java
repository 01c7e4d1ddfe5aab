package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.RunningMaster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Issue 26: the status page in a real browser. Headless Debian chromium (driven by playwright-core from npm,
 * {@code src/test/browser}, installed by {@code npm ci} in .ci/run; no browser is downloaded) opens {@code /} of a real
 * master with two workers: the page lists the workers' real pids, and after a {@code kill -9} of one it shows the
 * replacement's pid and the respawn in its history, without being reloaded. Without chromium, node or the driver's
 * node_modules, the test fails on CI (CI=true) and is skipped elsewhere with the reason.
 */
class StatusPageBrowserIT {
    private static final Path DRIVER = Path.of("src/test/browser").toAbsolutePath();

    @Test
    void thePageFollowsAKilledWorkerAndItsReplacementWithoutAReload() throws Exception {
        StatusPageIT.requireTool("/usr/bin/chromium", "chromium");
        StatusPageIT.requireTool("/usr/bin/node", "nodejs");
        if (!Files.isDirectory(DRIVER.resolve("node_modules/playwright-core"))) {
            String why = DRIVER + "/node_modules is missing: run npm ci there (.ci/run does)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
        }
        int statusPort = RunningMaster.freePort();
        try (RunningMaster master = RunningMaster.start("status_listen = \"127.0.0.1:" + statusPort + "\"\n")) {
            List<Integer> workers = master.awaitWorkers(2);
            StatusPageIT.sendRequests(master.port(), 10);
            List<String> command = new ArrayList<>(List.of("/usr/bin/node", DRIVER.resolve("status-page.mjs").toString(),
                    "http://127.0.0.1:" + statusPort + "/?interval=0.5", workers.get(0) + "," + workers.get(1)));
            // MASTERWORK_STATUS_SCREENSHOT=docs/status-page.png: the page as the test left it (the README's picture).
            String screenshot = System.getenv("MASTERWORK_STATUS_SCREENSHOT");
            if (screenshot != null && !screenshot.isBlank()) {
                command.add(screenshot);
            }
            Path out = Files.createTempFile("masterwork-browser-", ".out");
            // A trickle of requests meanwhile, so that the page has rates to chart (and the picture shows some).
            java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread load = new Thread(() -> {
                while (loading.get()) {
                    try {
                        Http.get(master.port(), "/");
                        Thread.sleep(20);
                    } catch (Exception e) {
                        // a request that meets the killed worker's closing socket: the next one goes on
                    }
                }
            }, "status-page-load");
            load.setDaemon(true);
            load.start();
            try {
                Process driver = new ProcessBuilder(command).directory(DRIVER.toFile())
                        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
                if (!driver.waitFor(240, TimeUnit.SECONDS)) {
                    driver.destroyForcibly().waitFor();
                    throw new AssertionError("the browser driver did not finish within 240 s: " + Files.readString(out));
                }
                String said = Files.readString(out, StandardCharsets.UTF_8);
                assertThat(driver.exitValue()).as("the browser driver said:\n%s", said).isZero();
                String line = said.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(
                        () -> new AssertionError("no result from the browser driver:\n" + said));
                Config result = StatusPageIT.json(line);
                assertThat(result.getIntList("before")).containsExactlyInAnyOrderElementsOf(workers);
                List<Integer> now = master.awaitWorkers(2);
                assertThat(now).doesNotContain(workers.get(0));
                assertThat(result.getIntList("after")).as("the page shows the master's real workers")
                        .containsExactlyInAnyOrderElementsOf(now);
                assertThat(result.getString("respawn")).contains("slot").contains(String.valueOf(workers.get(0)))
                        .contains("killed");
                assertThat(result.getBoolean("sameDocument")).as("the page was never reloaded").isTrue();
                assertThat(result.getInt("navigations")).isEqualTo(1);
                assertThat(result.getStringList("foreign")).as("requests to another host").isEmpty();
            } finally {
                loading.set(false);
                load.join(15_000);
                Files.deleteIfExists(out);
            }
        }
    }
}
