package io.masterwork.master.process;

import io.masterwork.posix.Posix;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The master as extensions see and steer it (the control socket, systemd): the cycle's state read, its signal
 * handlers called. Every call runs on the master thread.
 */
final class CycleControl implements MasterControl {
    private final MasterProcessCycle cycle;
    private final Posix posix;
    private final Listeners listeners;
    private final ProcessTable table;
    private final SpareWorkers spares;
    private final DesiredWorkers desired;
    private final Reloads reloads;
    private final long startedAtMillis = System.currentTimeMillis();

    CycleControl(MasterProcessCycle cycle, Posix posix, Listeners listeners, ProcessTable table, SpareWorkers spares,
                 DesiredWorkers desired, Reloads reloads) {
        this.cycle = cycle;
        this.posix = posix;
        this.listeners = listeners;
        this.table = table;
        this.spares = spares;
        this.desired = desired;
        this.reloads = reloads;
    }

    @Override
    public int pid() {
        return posix.getpid();
    }

    @Override
    public long generation() {
        return desired.serving().number;
    }

    @Override
    public List<InetSocketAddress> listeners() {
        List<InetSocketAddress> out = new ArrayList<>();
        listeners.byAddress().values().forEach(fd -> out.add(posix.localAddress(fd)));
        return out;
    }

    @Override
    public List<WorkerSlot> workers() {
        return table.occupied();
    }

    @Override
    public int desiredWorkers() {
        return desired.count();
    }

    @Override
    public List<SpareWorker> spares() {
        return spares.running();
    }

    @Override
    public int desiredSpares() {
        return cycle.spareAllowance().count();
    }

    @Override
    public String sparesReason() {
        return cycle.spareAllowance().reason();
    }

    @Override
    public boolean reloading() {
        return reloads.reloading();
    }

    @Override
    public boolean stopping() {
        return cycle.stopping();
    }

    @Override
    public long startedAtMillis() {
        return startedAtMillis;
    }

    @Override
    public long reloads() {
        return reloads.committed();
    }

    @Override
    public long failedReloads() {
        return reloads.failed();
    }

    @Override
    public String lastReloadResult() {
        return reloads.lastResult();
    }

    @Override
    public void reload(Consumer<ReloadOutcome> done) {
        if (cycle.stopping()) {
            done.accept(new ReloadOutcome(false, desired.serving().number, "the master is shutting down"));
            return;
        }
        reloads.ask(done);
        cycle.handleHup();
    }

    @Override
    public void quit() {
        cycle.handleQuit();
    }

    @Override
    public void stop() {
        cycle.handleTerminate();
    }

    @Override
    public void reopen() {
        cycle.handleUsr1();
    }

    @Override
    public List<Integer> askWorkersForFigures() {
        List<Integer> asked = new ArrayList<>();
        io.masterwork.channel.ChannelFrame report = io.masterwork.channel.ChannelFrame.report(posix.getpid());
        for (WorkerSlot slot : table.occupied()) {
            if (slot.current() instanceof SlotState.Ready ready && ready.worker().channelOpen()) {
                try {
                    if (ready.worker().channel.send(report)) {
                        asked.add(ready.worker().pid);
                    }
                } catch (io.masterwork.channel.ChannelException e) {
                    // The worker is going; its EOF and exit are the loop's business.
                }
            }
        }
        return asked;
    }

    @Override
    public void setWorkerCount(int n) {
        cycle.setWorkerCount(n);
    }
}
