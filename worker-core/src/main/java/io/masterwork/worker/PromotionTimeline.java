package io.masterwork.worker;

/**
 * The timed steps of one spare's promotion, from PROMOTE read to READY sent and what follows READY, for the promoted
 * worker's "worker ready" line: a promotion is measured in microseconds, and this is where they go (docs/BENCHMARKS.md).
 * Plain string building, no formatter: it runs on the promotion path and must not load anything new there.
 */
final class PromotionTimeline {
    private final StringBuilder steps = new StringBuilder("promoted:");
    private long last;
    private boolean afterReady;

    PromotionTimeline(long startNanos) {
        this.last = startNanos;
    }

    /** The step that just ended, named as the log line shows it, timed from the end of the one before. */
    void step(String name) {
        long now = System.nanoTime();
        steps.append(afterReady ? " then " : steps.length() > "promoted:".length() ? ", " : " ")
                .append(name).append(' ').append((now - last) / 1_000).append(" us");
        afterReady = false;
        last = now;
    }

    /** READY is out: the steps that follow are the ones the first clients did not wait for. */
    void readySent() {
        step("READY sent");
        steps.append(';');
        afterReady = true;
    }

    /** Restarts the clock after a pause that is not a step (the wait between READY and the steps after it). */
    void resume() {
        last = System.nanoTime();
    }

    @Override
    public String toString() {
        return steps.toString();
    }
}
