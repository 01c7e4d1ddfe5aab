package io.masterwork.master.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.master.process.MasterControl;
import io.masterwork.master.process.WorkerSlot;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the notifier writes, read from a real AF_UNIX datagram socket standing in for systemd's.
 * SystemdIT checks the same against a real master and its real reloads.
 */
class SystemdNotifierTest {
    private final Posix posix = NativePosix.get();
    private final MasterState state = new MasterState();
    private final MasterControl master = state.control();
    private int receiver = -1;

    @TempDir
    Path dir;

    @AfterEach
    void closeReceiver() {
        if (receiver >= 0) {
            posix.closeQuietly(receiver);
        }
    }

    private String bindReceiver(String path) {
        receiver = posix.unixDatagramSocket();
        posix.bindUnix(receiver, path);
        posix.setNonBlocking(receiver, true);
        return path;
    }

    private String receive() {
        assertThat(posix.pollReadable(new int[] {receiver}, 5000)).as("a datagram within 5 s").containsExactly(receiver);
        ByteBuffer in = ByteBuffer.allocate(4096);
        int n = posix.read(receiver, in);
        return new String(in.array(), 0, n, StandardCharsets.UTF_8);
    }

    private boolean nothingPending() {
        return posix.pollReadable(new int[] {receiver}, 0).isEmpty();
    }

    private SystemdNotifier notifier(String socket, String... more) {
        return notifier(posix, socket, more);
    }

    /** This JVM's Posix with getppid() answering what {@code parent} holds: a new master's parent comes and goes. */
    private Posix withParent(java.util.concurrent.atomic.AtomicInteger parent) {
        return (Posix) java.lang.reflect.Proxy.newProxyInstance(Posix.class.getClassLoader(), new Class<?>[] {Posix.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getppid")) {
                        return parent.get();
                    }
                    try {
                        return method.invoke(posix, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private SystemdNotifier notifier(Posix posix, String socket, String... more) {
        Map<String, String> env = new HashMap<>();
        env.put("NOTIFY_SOCKET", socket);
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return new SystemdNotifier(posix, env);
    }

    @Test
    void readyReloadingAndStoppingAsSystemdReadsThem() {
        SystemdNotifier n = notifier(bindReceiver(dir.resolve("notify").toString()));
        assertThat(n.enabled()).isTrue();

        n.started(master);
        assertThat(receive()).isEqualTo("STATUS=starting 2 workers on 127.0.0.1:8080");
        n.serving(master);
        assertThat(receive()).isEqualTo("READY=1\nMAINPID=4242\n"
                + "STATUS=serving on 127.0.0.1:8080: 0/2 workers ready (generation 1, 0 reloads)");

        long before = TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
        n.reloadStarted(master);
        long after = TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
        String reloading = receive();
        assertThat(reloading).startsWith("RELOADING=1\nMONOTONIC_USEC=")
                .endsWith("\nSTATUS=reloading: starting generation 2 while generation 1 serves");
        long usec = Long.parseLong(reloading.split("\n")[1].substring("MONOTONIC_USEC=".length()));
        assertThat(usec).isBetween(before, after);

        state.generation = 2;
        state.reloads = 1;
        n.reloadCommitted(master);
        assertThat(receive()).startsWith("READY=1\nSTATUS=serving on 127.0.0.1:8080")
                .endsWith("(generation 2, 1 reloads); generation 1 finishing its requests");
        n.reloadCompleted(master);
        assertThat(receive()).startsWith("STATUS=serving").doesNotContain("READY=1");

        n.reloadFailed(master, "masterwork.conf: 3: worker_procesess:\nunknown key");
        assertThat(receive()).isEqualTo("READY=1\nSTATUS=reload failed, generation 2 goes on serving: "
                + "masterwork.conf: 3: worker_procesess: unknown key");

        state.stopping = true;
        n.stopping(master, true);
        assertThat(receive()).isEqualTo("STOPPING=1\nSTATUS=graceful shutdown: 0 workers finishing their requests");
        n.stopped(master);
        assertThat(receive()).isEqualTo("STATUS=stopped");
        assertThat(nothingPending()).isTrue();
    }

    @Test
    void anAbstractSocketNameWorks() {
        String name = "@masterwork-notify-test-" + posix.getpid() + "-" + System.nanoTime();
        SystemdNotifier n = notifier(bindReceiver(name));
        n.stopping(master, false);
        assertThat(receive()).isEqualTo("STOPPING=1\nSTATUS=fast shutdown: stopping 0 workers");
    }

    @Test
    void watchdogPingsAtHalfOfWatchdogUsec() {
        SystemdNotifier n = notifier(bindReceiver(dir.resolve("notify").toString()),
                "WATCHDOG_USEC", "4000000", "WATCHDOG_PID", Integer.toString(posix.getpid()));
        assertThat(n.nextTimerNanos()).isLessThanOrEqualTo(System.nanoTime());
        long before = System.nanoTime();
        n.timer(master);
        long after = System.nanoTime();
        assertThat(receive()).isEqualTo("WATCHDOG=1");
        assertThat(n.nextTimerNanos()).isBetween(before + TimeUnit.SECONDS.toNanos(2), after + TimeUnit.SECONDS.toNanos(2));
        n.stopped(master);
        assertThat(n.nextTimerNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void noWatchdogForAnotherPidOrWithoutUsecOrSocket() {
        String socket = dir.resolve("notify").toString();
        assertThat(notifier(socket, "WATCHDOG_USEC", "4000000", "WATCHDOG_PID", "1").nextTimerNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(notifier(socket).nextTimerNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(notifier(socket, "WATCHDOG_USEC", "soon").nextTimerNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(notifier(socket, "WATCHDOG_USEC", "0").nextTimerNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(new SystemdNotifier(posix, Map.of("WATCHDOG_USEC", "4000000")).nextTimerNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(notifier(socket, "WATCHDOG_USEC", "4000000").nextTimerNanos()).isNotEqualTo(Long.MAX_VALUE);
    }

    @Test
    void withoutNotifySocketOrWithAnUnusableOneNothingIsSentAndNothingOpened() throws InterruptedException {
        List<Integer> fdsBefore = settledDescriptors();
        SystemdNotifier unset = new SystemdNotifier(posix, Map.of());
        SystemdNotifier relative = notifier("run/notify");
        SystemdNotifier vsock = notifier("vsock:2:1234");
        for (SystemdNotifier n : List.of(unset, relative, vsock)) {
            assertThat(n.enabled()).isFalse();
            n.serving(master);
            n.stopping(master, true);
        }
        assertThat(settledDescriptors()).containsExactlyInAnyOrderElementsOf(fdsBefore);
    }

    /**
     * This process's descriptors, read until two readings 20 ms apart agree: another thread of the JVM may hold one
     * for a moment (seen: fd 69 open in the reading before and gone after, in a full suite run under load).
     */
    private List<Integer> settledDescriptors() throws InterruptedException {
        List<Integer> previous = posix.openDescriptors();
        for (int i = 0; i < 250; i++) {
            Thread.sleep(20);
            List<Integer> now = posix.openDescriptors();
            if (now.equals(previous)) {
                return now;
            }
            previous = now;
        }
        throw new AssertionError("this process's descriptors did not settle within 5 s: " + previous);
    }

    @Test
    void aMissingSocketIsNotFatalAndNotificationsResumeWhenItAppears() {
        String path = dir.resolve("later").toString();
        SystemdNotifier n = notifier(path);
        n.serving(master);
        n.serving(master);
        bindReceiver(path);
        n.stopping(master, true);
        assertThat(receive()).startsWith("STOPPING=1");
    }

    @Test
    void anOldMasterHandsTheServiceOverWithMainpidInsteadOfStopping() {
        SystemdNotifier n = notifier(bindReceiver(dir.resolve("notify").toString()));
        int successor = posix.getpid(); // any live process stands for the new master
        n.upgradeStarted(master, successor);
        assertThat(receive()).isEqualTo("STATUS=binary upgrade: new master " + successor + " starting beside this one (4242)");
        n.stopping(master, true);
        assertThat(receive()).isEqualTo("MAINPID=" + successor + "\nSTATUS=handed over to the new master " + successor
                + "; the old master 4242 is finishing its requests");
        n.stopped(master);
        assertThat(nothingPending()).as("no STATUS=stopped over the new master's").isTrue();
    }

    @Test
    void aRolledBackUpgradeStopsAsUsual() {
        SystemdNotifier n = notifier(bindReceiver(dir.resolve("notify").toString()));
        n.upgradeStarted(master, posix.getpid());
        receive();
        n.upgradeRolledBack(master);
        assertThat(receive()).startsWith("STATUS=binary upgrade rolled back; serving on");
        n.stopping(master, true);
        assertThat(receive()).startsWith("STOPPING=1\n");
    }

    /**
     * With NotifyAccess=main systemd drops what a process other than the main one says: while the old master (the
     * new one's parent: here this JVM's own parent stands in for it) lives, a new master says nothing at all.
     */
    @Test
    void theNewMasterOfAnUpgradeSaysNothingWhileTheOldOneIsTheMainProcess() {
        String socket = bindReceiver(dir.resolve("notify").toString());
        int parent = posix.getppid();
        SystemdNotifier n = notifier(socket, "MASTERWORK_UPGRADE", "protocol=1 pid=" + parent + " version=0.1.0 generation=3",
                "WATCHDOG_USEC", "4000000", "WATCHDOG_PID", Integer.toString(parent));
        n.started(master);
        n.serving(master);
        state.generation = 4;
        n.reloadStarted(master);
        n.reloadCommitted(master);
        n.timer(master);
        assertThat(nothingPending()).as("nothing sent while the old master is the main process").isTrue();
        assertThat(n.nextTimerNanos()).as("it keeps watching for the hand-over").isNotEqualTo(Long.MAX_VALUE);
    }

    /** Once the old master is gone (it said MAINPID= and exited: the new one is no longer its child), it speaks. */
    @Test
    void theNewMasterOfAnUpgradeSpeaksOnceTheOldOneIsGone() {
        String socket = bindReceiver(dir.resolve("notify").toString());
        java.util.concurrent.atomic.AtomicInteger parent = new java.util.concurrent.atomic.AtomicInteger(77);
        SystemdNotifier n = notifier(withParent(parent), socket, "MASTERWORK_UPGRADE",
                "protocol=1 pid=77 version=0.1.0 generation=3", "WATCHDOG_USEC", "4000000", "WATCHDOG_PID", "77");
        parent.set(1); // the old master said MAINPID= and exited: this one was re-parented
        n.serving(master);
        assertThat(receive()).startsWith("STATUS=new master (binary upgrade from 77) serving on 127.0.0.1:8080")
                .doesNotContain("READY=1").doesNotContain("MAINPID=");
        assertThat(n.nextTimerNanos()).as("the watchdog follows the main process it succeeds").isNotEqualTo(Long.MAX_VALUE);
        state.generation = 4;
        n.reloadStarted(master);
        assertThat(receive()).startsWith("RELOADING=1\n");
        n.reloadCommitted(master);
        assertThat(receive()).startsWith("READY=1\n");
    }

    /**
     * A hand-over named by the environment but not by this process's parent (set by hand, inherited from a shell) is
     * no hand-over: the master speaks to systemd as any master, READY=1 included, and waits for nobody.
     */
    @Test
    void anUpgradeNamedByTheEnvironmentAloneIsNoUpgrade() {
        String socket = bindReceiver(dir.resolve("notify").toString());
        SystemdNotifier n = notifier(withParent(new java.util.concurrent.atomic.AtomicInteger(1)), socket,
                "MASTERWORK_UPGRADE", "protocol=1 pid=77 version=0.1.0 generation=3");
        n.serving(master);
        assertThat(receive()).startsWith("READY=1\n").doesNotContain("binary upgrade from 77");
    }

    @Test
    void aLongStatusIsCutToOneBoundedLine() {
        String bounded = SystemdNotifier.boundStatus("READY=1\nSTATUS=" + "x\n".repeat(1000));
        assertThat(bounded).startsWith("READY=1\nSTATUS=x x ").endsWith("...");
        assertThat(bounded.substring("READY=1\n".length())).doesNotContain("\n")
                .hasSize("STATUS=".length() + SystemdNotifier.MAX_STATUS_CHARS);
    }

    /**
     * The master's view as the notifier reads it: only what the messages use. A proxy, so that MasterControl
     * may grow without this test changing; a method the notifier should not call fails the test.
     */
    private static final class MasterState {
        long generation = 1;
        long reloads;
        boolean stopping;

        MasterControl control() {
            return (MasterControl) Proxy.newProxyInstance(MasterControl.class.getClassLoader(),
                    new Class<?>[] {MasterControl.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "pid" -> 4242;
                        case "generation" -> generation;
                        case "listeners" -> List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080));
                        case "workers" -> List.<WorkerSlot>of();
                        case "desiredWorkers" -> 2;
                        case "stopping" -> stopping;
                        case "reloads" -> reloads;
                        case "toString" -> "MasterState";
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }
}
