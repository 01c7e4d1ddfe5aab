package io.masterwork.master.process;

/**
 * What the master wants running, per generation — gunicorn's {@code num_workers}, which its signal handlers change
 * and {@code manage_workers} reconciles. Here TTIN, TTOU and {@code workers N} change the serving generation's count,
 * a reload's start adds its new generation, its commit makes that one the serving generation, WINCH and a stop want
 * none; the master loop's reconcile step spawns, retires and respawns until the table matches.
 */
final class DesiredWorkers {
    private WorkerGeneration serving;
    /** TTIN/TTOU/"workers N": the count in effect until the next reload; null = the configuration's. */
    private Integer countOverride;
    /** Serving workers that exited with "cannot be respawned" (status 2): not replaced until the count is set again. */
    private int fatallyFailed;
    /** A reload's new generation, until it is committed or rolled back. */
    private WorkerGeneration trial;
    /** WINCH: the workers were told to quit and are not replaced; HUP wants them again. */
    private boolean retired;
    private boolean stopping;

    WorkerGeneration serving() {
        return serving;
    }

    /** The reload's generation under trial, or null. */
    WorkerGeneration trial() {
        return trial;
    }

    /** The serving generation's count: worker_processes, or what TTIN/TTOU/"workers N" set since. */
    int count() {
        return countOverride != null ? countOverride : serving.config.workerProcesses();
    }

    boolean countOverridden() {
        return countOverride != null;
    }

    /** How many workers {@code generation} should have now; 0 for any generation that is neither serving nor on trial. */
    int countFor(WorkerGeneration generation) {
        if (stopping || retired) {
            return 0;
        }
        if (generation == serving) {
            return Math.max(0, count() - fatallyFailed);
        }
        return generation == trial ? trial.config.workerProcesses() : 0;
    }

    void setCount(int n) {
        countOverride = n;
        fatallyFailed = 0;
    }

    /** A serving worker exited with the fatal status: its place stays empty (nginx's "cannot be respawned"). */
    void fatallyFailed() {
        fatallyFailed++;
    }

    void startTrial(WorkerGeneration next) {
        trial = next;
    }

    /** The first generation at start, or a committed reload's: it serves with its own worker_processes. */
    void serve(WorkerGeneration next) {
        serving = next;
        trial = null;
        countOverride = null;
        fatallyFailed = 0;
    }

    /** The reload is rolled back: its generation is wanted no more. */
    void abandonTrial() {
        trial = null;
    }

    void retire() {
        retired = true;
    }

    boolean retired() {
        return retired;
    }

    void unretire() {
        retired = false;
    }

    void stop() {
        stopping = true;
        trial = null;
    }
}
