package io.masterwork.posix;

/** Linux scheduling policies masterwork sets (sched(7)); both are time-shared, without a real-time priority. */
public enum SchedulingPolicy {
    /** SCHED_OTHER: the default; the thread's nice value weighs its share of a CPU. */
    OTHER(0),
    /**
     * SCHED_IDLE: runs only on CPU time no SCHED_OTHER thread wants (a weight below even nice 19's). Leaving it for
     * OTHER needs CAP_SYS_NICE or an RLIMIT_NICE that permits the thread's nice value.
     */
    IDLE(5);

    public final int value;

    SchedulingPolicy(int value) {
        this.value = value;
    }

    static SchedulingPolicy of(int value) {
        for (SchedulingPolicy p : values()) {
            if (p.value == value) {
                return p;
            }
        }
        throw new IllegalArgumentException("scheduling policy " + value + " is not one masterwork sets");
    }
}
