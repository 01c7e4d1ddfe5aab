package io.masterwork.master.process;

import io.masterwork.master.process.MasterControl.ReloadOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reloads over the master's life: who asked for the next one, which generation the last commit is retiring and who
 * waits for it to be gone, and the counts the status reports.
 */
final class Reloads {
    private final List<Consumer<ReloadOutcome>> asking = new ArrayList<>();
    private final List<Consumer<ReloadOutcome>> awaitingCompletion = new ArrayList<>();
    /** The generation a committed reload is retiring, until its last worker is gone. */
    private WorkerGeneration retiring;
    private long retiringSinceNanos;
    private long committed;
    private long failed;
    private String lastResult = "none";

    /** Someone (the control socket) asks for the next reload and waits for its outcome. */
    void ask(Consumer<ReloadOutcome> requester) {
        asking.add(requester);
    }

    /** Those who asked, now the reload they asked for starts. */
    List<Consumer<ReloadOutcome>> takeAsking() {
        List<Consumer<ReloadOutcome>> taken = new ArrayList<>(asking);
        asking.clear();
        return taken;
    }

    void committed(Reload done) {
        retiring = done.previous;
        retiringSinceNanos = done.startedNanos;
        awaitingCompletion.addAll(done.requesters);
        committed++;
        lastResult = "ok";
    }

    void rejected(String reason, long serving, List<Consumer<ReloadOutcome>> requesters) {
        failed++;
        lastResult = reason;
        tell(requesters, new ReloadOutcome(false, serving, reason));
    }

    /**
     * "generation N serving, generation M gone after X ms" once the retired generation has no process left (and
     * its requesters told), or null.
     */
    String completion(ProcessTable table, WorkerGeneration serving) {
        if (retiring == null || table.running().stream().anyMatch(s -> s.generation == retiring)) {
            return null;
        }
        String message = "generation " + serving.number + " serving, generation " + retiring.number + " gone "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - retiringSinceNanos) + " ms after the reload began";
        retiring = null;
        tell(awaitingCompletion, new ReloadOutcome(true, serving.number, message));
        return message;
    }

    /** The master stops: nobody's reload will happen or complete. */
    void failAll(String reason, long serving, Reload underway) {
        List<Consumer<ReloadOutcome>> all = takeAsking();
        if (underway != null) {
            all.addAll(underway.requesters);
        }
        all.addAll(awaitingCompletion);
        awaitingCompletion.clear();
        tell(all, new ReloadOutcome(false, serving, reason));
    }

    boolean retiring() {
        return retiring != null;
    }

    long committed() {
        return committed;
    }

    long failed() {
        return failed;
    }

    String lastResult() {
        return lastResult;
    }

    private static void tell(List<Consumer<ReloadOutcome>> requesters, ReloadOutcome outcome) {
        List<Consumer<ReloadOutcome>> copy = new ArrayList<>(requesters);
        requesters.clear();
        for (Consumer<ReloadOutcome> requester : copy) {
            Guard.run("a reload requester", () -> requester.accept(outcome));
        }
    }
}
