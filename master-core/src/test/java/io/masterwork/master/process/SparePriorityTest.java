package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.Errno;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.SchedulingPolicy;
import io.masterwork.posix.SocketType;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a spare is raised from SCHED_IDLE at its promotion: every thread, those that appear during the walk too, a
 * bounded walk, and no promotion when a thread refuses; and when a master starts spares idle at all.
 */
class SparePriorityTest {
    private static final Posix REAL = NativePosix.get();
    private static final int SPARE_PID = 4_000_001; // beyond pid_max: never a real process

    @TempDir
    Path prefix;

    private final List<Channel> opened = new ArrayList<>();

    @AfterEach
    void closeChannels() {
        opened.forEach(Channel::close);
    }

    /**
     * The real Posix for this process (tid 0); a scripted process {@link #SPARE_PID}: its thread list per reading,
     * the policy and nice value of its threads, and the errno a thread answers with.
     */
    private static final class ScriptedSpare {
        final IntFunction<List<Integer>> readings;
        final Map<Integer, SchedulingPolicy> policy = new HashMap<>();
        final Map<Integer, Integer> nice = new HashMap<>();
        final Map<Integer, Integer> refusing = new HashMap<>();
        /** An errno for setScheduler(0, OTHER) in this process: how a master without the right looks. */
        Integer ownRaiseErrno;
        int readingsTaken;
        final List<String> signals = new ArrayList<>();

        ScriptedSpare(IntFunction<List<Integer>> readings) {
            this.readings = readings;
        }

        Posix posix() {
            return (Posix) Proxy.newProxyInstance(Posix.class.getClassLoader(), new Class<?>[] {Posix.class},
                    (proxy, method, args) -> {
                        String name = method.getName();
                        // Another thread's nice value: scripted; this process's own (tid 0, the probe): real.
                        boolean scripted = args != null && args.length > 0 && args[0] instanceof Integer id && id != 0;
                        switch (name) {
                            case "threads" -> {
                                return readings.apply(readingsTaken++);
                            }
                            case "kill" -> {
                                signals.add(String.valueOf(args[1]));
                                return null;
                            }
                            case "setScheduler" -> {
                                int tid = (Integer) args[0];
                                if (tid == 0) {
                                    if (ownRaiseErrno != null && args[1] == SchedulingPolicy.OTHER) {
                                        throw new PosixException("sched_setscheduler", ownRaiseErrno, "EPERM", "injected");
                                    }
                                    break;
                                }
                                Integer errno = refusing.get(tid);
                                if (errno != null) {
                                    throw new PosixException("sched_setscheduler", errno, errno == Errno.ESRCH ? "ESRCH" : "EPERM",
                                            "tid " + tid);
                                }
                                policy.put(tid, (SchedulingPolicy) args[1]);
                                return null;
                            }
                            case "getPriority" -> {
                                if (scripted) {
                                    return nice.getOrDefault((Integer) args[0], 0);
                                }
                            }
                            case "setPriority" -> {
                                if (scripted) {
                                    nice.put((Integer) args[0], (Integer) args[1]);
                                    return null;
                                }
                            }
                            default -> { }
                        }
                        try {
                            return method.invoke(REAL, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    @Test
    void everyThreadIsRaisedThoseThatAppearDuringTheWalkToo() {
        // The JVM starts a thread while the first ones are raised: a second reading finds it, a third finds none new.
        ScriptedSpare spare = new ScriptedSpare(reading -> reading == 0 ? List.of(100, 101) : List.of(100, 101, 102));
        spare.nice.put(101, 19); // whatever changed one thread's nice value: worker_priority again
        String why = new SparePriority(spare.posix()).raise(SPARE_PID, 5);
        assertThat(why).isNull();
        assertThat(spare.readingsTaken).isEqualTo(3);
        assertThat(spare.policy).containsOnlyKeys(100, 101, 102).containsValues(SchedulingPolicy.OTHER)
                .doesNotContainValue(SchedulingPolicy.IDLE);
        assertThat(spare.nice).containsEntry(100, 5).containsEntry(101, 5).containsEntry(102, 5);
    }

    @Test
    void aThreadThatEndedDuringTheWalkIsSkipped() {
        ScriptedSpare spare = new ScriptedSpare(reading -> List.of(100, 101, 102));
        spare.refusing.put(101, Errno.ESRCH);
        assertThat(new SparePriority(spare.posix()).raise(SPARE_PID, 0)).isNull();
        assertThat(spare.policy).containsOnlyKeys(100, 102);
    }

    @Test
    void aThreadThatRefusesFailsTheRaise() {
        ScriptedSpare spare = new ScriptedSpare(reading -> List.of(100, 101, 102));
        spare.refusing.put(101, Errno.EPERM);
        assertThat(new SparePriority(spare.posix()).raise(SPARE_PID, 0)).contains("sched_setscheduler").contains("101");
    }

    @Test
    void aProcessThatNeverStopsCreatingThreadsIsGivenUpOnAfterBoundedReadings() {
        ScriptedSpare spare = new ScriptedSpare(reading -> List.of(100, 101 + reading));
        assertThat(new SparePriority(spare.posix()).raise(SPARE_PID, 0)).contains("did not settle");
        assertThat(spare.readingsTaken).isEqualTo(SparePriority.MAX_READINGS);

        List<Integer> many = new ArrayList<>();
        for (int tid = 100; tid < 100 + SparePriority.MAX_THREADS + 1; tid++) {
            many.add(tid);
        }
        assertThat(new SparePriority(new ScriptedSpare(reading -> many).posix()).raise(SPARE_PID, 0))
                .contains("more than " + SparePriority.MAX_THREADS + " threads");
    }

    @Test
    void aMasterThatMayNotRaiseStartsSparesAtNormalPriorityAndOneWithNormalAsked() throws IOException {
        ScriptedSpare unprivileged = new ScriptedSpare(reading -> List.of());
        unprivileged.ownRaiseErrno = Errno.EPERM;
        SparePriority priority = new SparePriority(unprivileged.posix());
        assertThat(priority.startIdle(config(""))).isFalse();
        assertThat(priority.startIdle(config(""))).isFalse(); // the probe's verdict is kept, and logged once

        ScriptedSpare allowed = new ScriptedSpare(reading -> List.of());
        assertThat(new SparePriority(allowed.posix()).startIdle(config("worker_spare_priority = normal\n"))).isFalse();
        if (REAL.geteuid() == 0) {
            assertThat(new SparePriority(allowed.posix()).startIdle(config(""))).isTrue();
        }
    }

    @Test
    void aSpareThatCannotBeRaisedIsStoppedNotPromoted() throws IOException {
        WorkerGeneration generation = new WorkerGeneration(1, config(""), null, List.of());
        ScriptedSpare refusing = new ScriptedSpare(reading -> List.of(100, 101));
        refusing.refusing.put(101, Errno.EPERM);
        Channel peer = spareChannelPeer();
        SpareWorkers spares = new SpareWorkers(refusing.posix(), null, new WorkerCommands(refusing.posix()),
                new SparePriority(refusing.posix()));
        SpareWorker spare = addSpare(spares, generation);
        assertThat(spares.promote(new WorkerSlot(0, generation, 0))).isNull();
        assertThat(spare.isExiting()).isTrue();
        assertThat(peer.receive().frame().command()).isEqualTo(Command.TERMINATE);

        ScriptedSpare raisable = new ScriptedSpare(reading -> List.of(100, 101));
        Channel peer2 = spareChannelPeer();
        SpareWorkers spares2 = new SpareWorkers(raisable.posix(), null, new WorkerCommands(raisable.posix()),
                new SparePriority(raisable.posix()));
        SpareWorker spare2 = addSpare(spares2, generation);
        assertThat(spares2.promote(new WorkerSlot(0, generation, 0))).isSameAs(spare2);
        assertThat(raisable.policy).containsOnlyKeys(100, 101).doesNotContainValue(SchedulingPolicy.IDLE);
        ChannelFrame promote = peer2.receive().frame();
        assertThat(promote.command()).isEqualTo(Command.PROMOTE);
        REAL.closeQuietly(promote.fd());
    }

    @Test
    void aPromotedWorkersReadyLooksAgainAndRaisesAThreadThatStillCameOutIdle() throws IOException {
        // A thread whose creation was under way in the kernel while its creator was raised copied SCHED_IDLE, and was
        // not listed yet: the second walk, at READY, finds it.
        WorkerGeneration generation = new WorkerGeneration(1, config(""), null, List.of());
        ScriptedSpare scripted = new ScriptedSpare(reading -> reading < 2 ? List.of(100, 101) : List.of(100, 101, 102));
        spareChannelPeer();
        SpareWorkers spares = new SpareWorkers(scripted.posix(), null, new WorkerCommands(scripted.posix()),
                new SparePriority(scripted.posix()));
        SpareWorker spare = addSpare(spares, generation);
        WorkerSlot slot = new WorkerSlot(0, generation, 0);
        assertThat(spares.promote(slot)).isSameAs(spare);
        slot.occupy(spares.takeOver(slot, spare, 2));
        assertThat(scripted.policy).containsOnlyKeys(100, 101);
        scripted.policy.put(102, SchedulingPolicy.IDLE);

        spares.confirmRaised(slot);
        assertThat(scripted.policy).containsEntry(102, SchedulingPolicy.OTHER).doesNotContainValue(SchedulingPolicy.IDLE);
        int readings = scripted.readingsTaken;
        spares.confirmRaised(slot); // once per promotion
        assertThat(scripted.readingsTaken).isEqualTo(readings);
    }

    @Test
    void aSpareStillStartingAtIdlePriorityAfterTheBoundIsRaisedOnceAndOneThatIsReadyIsLeftIdle() throws IOException {
        // Busy CPUs starve a SCHED_IDLE spare: past the bound it starts at worker_priority instead of never.
        WorkerGeneration generation = new WorkerGeneration(1, config("worker_priority = 4\n"), null, List.of());
        ScriptedSpare scripted = new ScriptedSpare(reading -> List.of(100, 101));
        spareChannelPeer();
        SpareWorkers spares = new SpareWorkers(scripted.posix(), null, new WorkerCommands(scripted.posix()),
                new SparePriority(scripted.posix()));
        SpareWorker spare = addSpare(spares, generation);
        long started = spare.worker.startedAtNanos;
        long bound = started + SpareWorkers.STARVED_AFTER_NANOS;
        assertThat(spares.nextDeadlineNanos(1)).as("the master wakes for it").isEqualTo(bound);

        spares.manage(generation, 1, false, bound - 1);
        assertThat(scripted.policy).isEmpty();
        spares.manage(generation, 1, false, bound);
        assertThat(scripted.policy).containsOnlyKeys(100, 101).doesNotContainValue(SchedulingPolicy.IDLE);
        assertThat(scripted.nice).containsEntry(100, 4).containsEntry(101, 4);
        int readings = scripted.readingsTaken;
        spares.manage(generation, 1, false, bound + 1_000_000_000L);
        assertThat(scripted.readingsTaken).as("raised once").isEqualTo(readings);
        assertThat(spares.nextDeadlineNanos(1)).isEqualTo(Long.MAX_VALUE);

        ScriptedSpare readyOne = new ScriptedSpare(reading -> List.of(100, 101));
        spareChannelPeer();
        SpareWorkers others = new SpareWorkers(readyOne.posix(), null, new WorkerCommands(readyOne.posix()),
                new SparePriority(readyOne.posix()));
        SpareWorker ready = addSpare(others, generation);
        others.ready(ready, started + 1);
        others.manage(generation, 1, false, bound + 1_000_000_000L);
        assertThat(readyOne.readingsTaken).as("a ready spare idles at idle priority").isZero();
        assertThat(others.nextDeadlineNanos(1)).isEqualTo(Long.MAX_VALUE);
    }

    private Channel masterEnd;

    /** A channel pair: the master's end becomes {@link #masterEnd}, the spare's end is returned to read what it gets. */
    private Channel spareChannelPeer() {
        int[] pair = REAL.socketpair(SocketType.SEQPACKET);
        masterEnd = new Channel(REAL, pair[0]);
        Channel peer = new Channel(REAL, pair[1]);
        opened.add(masterEnd);
        opened.add(peer);
        return peer;
    }

    /** A spare started idle, on {@link #masterEnd}, scripted as {@link #SPARE_PID}. */
    private SpareWorker addSpare(SpareWorkers spares, WorkerGeneration generation) {
        SpareWorker spare = new SpareWorker(0, generation, new Worker(SPARE_PID, masterEnd, -1, 1), true);
        spares.adopt(spare);
        return spare;
    }

    private MasterConfiguration config(String extra) throws IOException {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), "listen = \"127.0.0.1:8080\"\nworker_spares = 1\n" + extra);
        return ConfigLoader.load(Path.of("conf/masterwork.conf"), prefix);
    }
}
