package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.testkit.RunningMaster;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One worker cannot hold the master loop: the master reads at most 64 frames from one channel per turn, as a worker
 * bounds its own reads, then turns to everything else that is ready.
 */
class ChannelFairnessIT {
    /**
     * Two workers fill their channels while the master is stopped (SIGSTOP), then the master goes on: it takes at
     * most 64 frames from one channel before it turns to the other, as a worker bounds its own reads — a worker that
     * keeps its channel full cannot hold the loop (signals, the control socket, its siblings) for as long as it likes.
     */
    @Test
    void theMasterTakesAtMost64FramesFromOneChannelBeforeItTurnsToTheRest() throws Exception {
        try (RunningMaster master = RunningMaster.start("worker_processes = 2\n"
                + "modules { worker = [\"io.masterwork.it.apps.ChannelFillingModule\"] }")) {
            List<Integer> workers = master.awaitWorkers(2);
            RunningMaster.kill("STOP", master.pid());
            long total;
            try {
                Files.writeString(master.prefix().resolve("fill"), "");
                await().atMost(Duration.ofSeconds(20)).until(() -> fills(master.errorLog()).size() == 2);
                total = fills(master.errorLog()).stream().mapToLong(Long::longValue).sum();
            } finally {
                RunningMaster.kill("CONT", master.pid());
            }
            assertThat(total).as("frames waiting in the two channels").isGreaterThan(2 * 64);
            await().atMost(Duration.ofSeconds(30)).until(() -> refusals(master.errorLog(), workers).size() == total);
            List<Integer> order = refusals(master.errorLog(), workers);
            // While both channels still hold frames: once one is empty, the other's turns follow each other.
            int bothFull = Math.min(order.lastIndexOf(workers.get(0)), order.lastIndexOf(workers.get(1)));
            int longestRun = 0;
            for (int i = 0, run = 0; i <= bothFull; i++) {
                run = i > 0 && order.get(i).equals(order.get(i - 1)) ? run + 1 : 1;
                longestRun = Math.max(longestRun, run);
            }
            assertThat(longestRun).as("frames taken from one channel in a row while the other waited, of " + total)
                    .isEqualTo(64);
            assertThat(master.isAlive()).isTrue();
            assertThat(master.workers()).containsExactlyElementsOf(workers);
        }
    }

    private static List<Long> fills(String log) {
        List<Long> out = new ArrayList<>();
        Matcher m = Pattern.compile("forged: channel full after (\\d+) frames").matcher(log);
        while (m.find()) {
            out.add(Long.parseLong(m.group(1)));
        }
        return out;
    }

    /** The worker of each "sent QUIT, which a worker may not send" line, in the order the master logged them. */
    private static List<Integer> refusals(String log, List<Integer> workers) {
        List<Integer> out = new ArrayList<>();
        Matcher m = Pattern.compile("worker process (\\d+) sent QUIT, which a worker may not send")
                .matcher(log);
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }
}
