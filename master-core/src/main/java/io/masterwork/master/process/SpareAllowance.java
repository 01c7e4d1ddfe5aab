package io.masterwork.master.process;

import java.util.OptionalInt;

/**
 * How many spare workers the master keeps, and why, in one sentence for the error log, {@code masterwork -t} and the
 * status. A number in {@code worker_spares} is taken as it is. {@code auto} is one spare per worker — so that a
 * reload can promote a whole generation instead of starting cold JVMs — but never more than fit, at
 * {@link #SPARE_PSS_ESTIMATE} each, in {@link #MEMORY_SHARE_PERCENT}% of the memory the master may still use
 * ({@link MemoryHeadroom}: MemAvailable, or less when its cgroup says so).
 *
 * <p>The CPU count and whether spares may start at idle priority do not enter: spares start one at a time and only
 * when no worker JVM is starting, and each one only replaces the JVM start that a respawn or a reload would otherwise
 * make at once, at normal priority, while clients wait. A spare at normal priority moves that start to a moment when
 * nobody waits for it; it does not add one.
 */
public record SpareAllowance(int count, String reason) {
    /**
     * The estimated PSS of one idle spare, rounded up from what was measured: 31 MiB for a ready spare of 2 workers'
     * master (2026-12-04, smaps_rollup), against 37-42 MiB for an idle or loaded worker (docs/BENCHMARKS.md). An
     * estimate, not a reading: auto is decided before any spare runs.
     */
    public static final long SPARE_PSS_ESTIMATE = 40L << 20;
    /** The share of the available memory spares may take at most. */
    public static final int MEMORY_SHARE_PERCENT = 10;

    /**
     * What {@code worker_spares} comes to for {@code workers} workers: the configured number, or for auto (empty)
     * the rule above with the memory {@code headroom} reads now, counting the {@code runningSpares} that run already
     * as available (they are the ones a smaller allowance gives up).
     */
    public static SpareAllowance of(OptionalInt configured, int workers, MemoryHeadroom headroom, int runningSpares) {
        if (configured.isPresent()) {
            int n = configured.getAsInt();
            return new SpareAllowance(n, "worker_spares = " + n);
        }
        MemoryHeadroom.Reading available = headroom.read();
        if (available == null) {
            return auto(workers, -1, "the available memory could not be read");
        }
        String source = runningSpares == 0 ? available.source()
                : available.source() + " plus the " + runningSpares + " running spares";
        return auto(workers, available.bytes() + runningSpares * SPARE_PSS_ESTIMATE, source);
    }

    /**
     * worker_spares = auto: min(workers, floor(10% of availableBytes / 40 MiB)). {@code availableBytes} below 0 means
     * unknown: one spare per worker then, as the memory cannot be shown to be short.
     */
    static SpareAllowance auto(int workers, long availableBytes, String source) {
        int perWorker = Math.max(0, workers);
        if (availableBytes < 0) {
            return new SpareAllowance(perWorker, "worker_spares = auto: one per worker (" + perWorker + "); " + source);
        }
        long fit = availableBytes / 100 * MEMORY_SHARE_PERCENT / SPARE_PSS_ESTIMATE;
        int count = (int) Math.min(perWorker, fit);
        String rule = count == perWorker ? "one per worker (" + perWorker + ")" : "fewer than one per worker (" + perWorker + ")";
        return new SpareAllowance(count, "worker_spares = auto: " + rule + "; " + MEMORY_SHARE_PERCENT + "% of " + source
                + " (" + mib(availableBytes) + " MiB) fits " + fit + " at ~" + mib(SPARE_PSS_ESTIMATE) + " MiB each");
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
