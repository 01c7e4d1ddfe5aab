package io.masterwork.master.process;

import io.masterwork.channel.Channel;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;
import io.masterwork.posix.SpawnRequest;
import java.io.File;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * nginx's {@code ngx_spawn_process}, for a JVM: two socketpairs (the private command channel and
 * the sibling inbox), the master's ends non-blocking and FIOASYNC, then {@code posix_spawn} of a fresh
 * worker JVM that receives exactly its channel end, its inbox, the configuration and the listeners
 * (docs/ARCHITECTURE.md, "The master ↔ worker contract").
 */
public final class Spawner {
    public static final String WORKER_TITLE = "masterwork: worker process";
    /** A spare's title: promotion shortens it in place to {@link #WORKER_TITLE} (argv can be rewritten, not grown). */
    public static final String SPARE_TITLE = "masterwork: worker process (spare)";
    public static final String WORKER_MAIN = "io.masterwork.worker.WorkerMain";

    static final int CHILD_CHANNEL_FD = 3;
    static final int CHILD_INBOX_FD = 4;
    static final int CHILD_CONFIG_FD = 5;
    static final int CHILD_FIRST_LISTENER_FD = 6;

    /**
     * Measured start-up flags (docs/BENCHMARKS.md, "Worker start-up"); worker_jvm_options come after and win.
     * A small serial heap and C1 only: an idle worker is mostly its start-up, and C2 costs start-up time and
     * memory. The worker classes come from the distribution's AppCDS archive, lib/worker.jsa beside the jar of
     * this class, when it is there; {@code -Xshare:auto}: an archive that does not fit (another JDK, a moved
     * distribution) is ignored in silence, and the worker loads its classes from the jars.
     * {@code ArchiveRelocationMode=0} maps the archives at the address they were written for, as JDK 17 did
     * until 17.0.15 made relocation the default: no pointer rewritten before the first class loads (~65 ms
     * of every start here) and the archive pages stay clean, shared by all workers (PSS); the price is that
     * the class metadata does not move with address-space randomisation. {@code worker_jvm_options =
     * ["-XX:ArchiveRelocationMode=1"]} buys that back.
     */
    static final List<String> DEFAULT_WORKER_JVM_FLAGS = workerJvmFlags(
            "-XX:+UseSerialGC", "-Xss512k", "-Xms8m", "-Xmx256m", "-XX:TieredStopAtLevel=1",
            "-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED",
            "-Xshare:auto", "-Xlog:cds=off,cds+dynamic=off",
            "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0");

    private static List<String> workerJvmFlags(String... flags) {
        List<String> all = new ArrayList<>(List.of(flags));
        try {
            java.nio.file.Path jar = java.nio.file.Path.of(
                    Spawner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!java.nio.file.Files.isRegularFile(jar)) {
                return List.copyOf(all); // classes from a directory (tests): no distribution around them
            }
            java.nio.file.Path archive = jar.resolveSibling("worker.jsa");
            if (java.nio.file.Files.isRegularFile(archive)) {
                all.add("-XX:SharedArchiveFile=" + archive);
            }
            // The distribution's native libraries, out of their jars: loaded in place, not copied to /tmp
            // first. The JDK's own library path stays behind them, for the application's libraries.
            java.nio.file.Path natives = jar.resolveSibling("native");
            if (java.nio.file.Files.isDirectory(natives)) {
                all.add("-Djffi.boot.library.path=" + natives);
                String jdkPath = System.getProperty("java.library.path", "");
                all.add("-Djava.library.path=" + natives + (jdkPath.isEmpty() ? "" : File.pathSeparator + jdkPath));
            }
        } catch (RuntimeException | java.net.URISyntaxException unknownSource) {
            // an unknown code source: no archive, no native directory
        }
        return List.copyOf(all);
    }

    private final Posix posix;
    private final String javaExecutable;
    private final String masterClassPath;

    Spawner(Posix posix) {
        this.posix = posix;
        this.javaExecutable = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        this.masterClassPath = System.getProperty("java.class.path");
    }

    /**
     * Starts a worker in {@code slot} for {@code generation}; on return the slot holds the pid, the
     * master's channel end and the inbox's write end. The worker's ends are closed here.
     */
    void spawn(WorkerSlot slot, WorkerGeneration generation) {
        spawnProcess(slot, generation, workerArgv(slot, generation, generation.listenerFds.size()),
                affinityFor(slot.slot, generation));
    }

    /**
     * Starts a spare worker for {@code generation}: the same descriptors, environment and JVM as a worker's, titled
     * {@link #SPARE_TITLE}, {@code --spare=K} instead of {@code --slot}, and no CPU affinity (it gets its slot's at
     * promotion). The priority is the generation's, as for every worker.
     */
    void spawnSpare(WorkerSlot spare, WorkerGeneration generation) {
        List<String> argv = workerArgv(spare, generation, generation.listenerFds.size());
        argv.set(0, SPARE_TITLE);
        argv.set(argv.indexOf("--slot=" + spare.slot), "--spare=" + spare.slot);
        spawnProcess(spare, generation, argv, null);
    }

    private void spawnProcess(WorkerSlot slot, WorkerGeneration generation, List<String> argv, BitSet affinity) {
        int[] channel = null;
        int[] inbox = null;
        List<Integer> temporary = new ArrayList<>();
        try {
            channel = posix.socketpair(SocketType.SEQPACKET);
            inbox = posix.socketpair(SocketType.SEQPACKET);
            posix.setNonBlocking(channel[0], true);
            // SIGIO comes to the master, where it is blocked and read (and ignored) from the signalfd:
            // never its default action, which would kill the master (JVM-NOTES.md).
            posix.setOwner(channel[0], posix.getpid());
            posix.setAsync(channel[0], true);
            posix.setNonBlocking(inbox[0], true);

            int devNull = posix.open("/dev/null", OpenFlags.RDWR, 0);
            temporary.add(devNull);
            int errorLog = MasterLogFiles.openWorkerOutput(posix, generation.config.errorLog());
            temporary.add(errorLog);
            int configFd = posix.memfd("masterwork-config", generation.configJson);
            temporary.add(configFd);

            SpawnRequest request = new SpawnRequest(javaExecutable)
                    .argv(argv)
                    .environment(workerEnvironment(generation))
                    .workingDirectory(generation.config.prefix().toAbsolutePath().toString())
                    .mapFd(devNull, 0)
                    .mapFd(errorLog, 1)
                    .mapFd(errorLog, 2)
                    .mapFd(channel[1], CHILD_CHANNEL_FD)
                    .mapFd(inbox[1], CHILD_INBOX_FD)
                    .mapFd(configFd, CHILD_CONFIG_FD);
            List<Integer> listenerFds = generation.listenerFds;
            for (int i = 0; i < listenerFds.size(); i++) {
                request.mapFd(listenerFds.get(i), CHILD_FIRST_LISTENER_FD + i);
            }

            int pid = spawnWithThreadAttributes(request, generation.config.workerPriority(), affinity);
            slot.pid = pid;
            slot.generation = generation.number;
            slot.spec = generation;
            slot.channel = new Channel(posix, channel[0]);
            slot.inboxWriteFd = inbox[0];
            slot.state = WorkerState.STARTING;
            slot.channelClosed = false;
            slot.respawn = true;
            slot.startedAtNanos = System.nanoTime();
            slot.readyAtNanos = 0;
            channel[0] = -1;
            inbox[0] = -1;
        } finally {
            if (channel != null) {
                closeIfOpen(channel[0]);
                closeIfOpen(channel[1]);
            }
            if (inbox != null) {
                closeIfOpen(inbox[0]);
                closeIfOpen(inbox[1]);
            }
            temporary.forEach(posix::closeQuietly);
        }
    }

    private void closeIfOpen(int fd) {
        if (fd >= 0) {
            posix.closeQuietly(fd);
        }
    }

    static BitSet affinityFor(int slot, WorkerGeneration generation) {
        List<BitSet> masks = generation.config.workerCpuAffinity();
        if (masks.isEmpty()) {
            return null;
        }
        return masks.get(slot % masks.size());
    }

    /**
     * On Linux, nice value and CPU affinity belong to a thread, and a JVM has ~20 before main. A child
     * inherits them from the thread that spawns it, so a fresh thread takes them on and spawns: every
     * thread of the worker JVM then has them from its first instruction, and the master keeps its own.
     */
    private int spawnWithThreadAttributes(SpawnRequest request, int nice, BitSet affinity) {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread spawning = new Thread(() -> {
            try {
                if (nice != posix.getPriority(0)) {
                    posix.setPriority(0, nice);
                }
                if (affinity != null) {
                    posix.setAffinity(0, affinity);
                }
                result.set(posix.spawn(request));
            } catch (RuntimeException | Error e) {
                result.set(e);
            }
        }, "masterwork-spawn");
        spawning.start();
        try {
            spawning.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while spawning a worker", e);
        }
        Object r = result.get();
        if (r instanceof Integer pid) {
            return pid;
        }
        if (r instanceof RuntimeException e) {
            throw e;
        }
        throw (Error) r;
    }

    private List<String> workerArgv(WorkerSlot slot, WorkerGeneration generation, int listenerCount) {
        List<String> argv = new ArrayList<>();
        argv.add(WORKER_TITLE);
        argv.addAll(DEFAULT_WORKER_JVM_FLAGS);
        argv.addAll(generation.config.workerJvmOptions());
        argv.add("-cp");
        argv.add(workerClassPath(generation));
        argv.add(WORKER_MAIN);
        argv.add("--slot=" + slot.slot);
        argv.add("--generation=" + generation.number);
        argv.add("--master-pid=" + posix.getpid());
        argv.add("--listeners=" + listenerCount);
        return argv;
    }

    private String workerClassPath(WorkerGeneration generation) {
        StringBuilder cp = new StringBuilder(masterClassPath);
        generation.config.workerClassPath().forEach(p -> cp.append(File.pathSeparatorChar).append(p.toAbsolutePath()));
        return cp.toString();
    }

    private static List<String> workerEnvironment(WorkerGeneration generation) {
        List<String> env = new ArrayList<>();
        for (String entry : generation.config.workerEnvironment()) {
            // systemd's notify socket and activated sockets belong to the master alone.
            if (!entry.startsWith("NOTIFY_SOCKET=") && !entry.startsWith("LISTEN_")) {
                env.add(entry);
            }
        }
        env.add("MASTERWORK_WORKER=1");
        return env;
    }
}
