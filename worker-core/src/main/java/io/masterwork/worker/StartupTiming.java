package io.masterwork.worker;

import io.masterwork.posix.ProcessAge;
import java.util.OptionalLong;

/**
 * Where a worker's start-up went, step by step, for its "worker ready" line (docs/BENCHMARKS.md, "Worker start-up"):
 * before init (the JVM, logging, the configuration, the native bindings), init, the event loop and channels, then the
 * application's start — or, for a spare, its rehearsal. Plain longs and string building: it runs on the start-up path
 * and must load nothing there.
 */
final class StartupTiming {
    private final long mainEnteredNanos;
    private long initStartNanos;
    private long loopStartNanos;
    private long rehearsalNanos;
    private long applicationStartNanos;

    StartupTiming(long mainEnteredNanos) {
        this.mainEnteredNanos = mainEnteredNanos;
    }

    void initStarts() {
        initStartNanos = System.nanoTime();
    }

    void eventLoopStarts() {
        loopStartNanos = System.nanoTime();
    }

    /** A spare's rehearsal took this long; it is reported apart from the event loop's share. */
    void rehearsed(long startNanos, long doneNanos) {
        rehearsalNanos = doneNanos - startNanos;
    }

    void applicationStarts() {
        applicationStartNanos = System.nanoTime();
    }

    /** A worker's phases, once its application has started. */
    String workerPhases() {
        return common() + millis(loopStartNanos, applicationStartNanos) + " ms, application start "
                + millis(applicationStartNanos, System.nanoTime()) + " ms";
    }

    /** A spare's phases, once it is initialised and has rehearsed (its application starts at promotion). */
    String sparePhases() {
        return common() + millis(loopStartNanos, applicationStartNanos - rehearsalNanos) + " ms, rehearsal "
                + rehearsalNanos / 1_000_000 + " ms";
    }

    private String common() {
        return "before init " + millis(mainEnteredNanos, initStartNanos) + " ms, init "
                + millis(initStartNanos, loopStartNanos) + " ms, event loop and channels ";
    }

    long millisSinceMain() {
        return millis(mainEnteredNanos, System.nanoTime());
    }

    /** How long ago the kernel started this process (the JVM's own start included), as the ready line says it. */
    static String processAge() {
        OptionalLong age = ProcessAge.millis();
        return age.isPresent() ? age.getAsLong() + " ms" : "?";
    }

    private static long millis(long from, long to) {
        return (to - from) / 1_000_000;
    }
}
