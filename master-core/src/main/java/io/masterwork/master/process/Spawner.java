package io.masterwork.master.process;

import io.masterwork.channel.Channel;
import io.masterwork.channel.SpawnContract;
import io.masterwork.master.Launcher;
import io.masterwork.master.archive.ClassArchiveFormat;
import io.masterwork.master.archive.ClassArchives;
import io.masterwork.master.archive.WorkerJvmClassPath;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.SchedulingPolicy;
import io.masterwork.posix.SocketType;
import io.masterwork.posix.SpawnRequest;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * nginx's {@code ngx_spawn_process}, for a JVM: two socketpairs (the private command channel and the sibling inbox),
 * the master's ends non-blocking and FIOASYNC, then {@code posix_spawn} of a fresh worker JVM that receives exactly
 * what channel-proto's {@link SpawnContract} names: its channel end, its inbox, the configuration and the listeners.
 *
 * <p>All or nothing: everything that can fail happens before the process exists, and a failure closes what this
 * spawn opened, once, and throws. Once {@code posix_spawn} returned, the {@link Worker} is the master's.
 */
final class Spawner {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    /**
     * Measured start-up flags (docs/BENCHMARKS.md, "Worker start-up"); worker_jvm_options come after and win.
     * A small serial heap and C1 only: an idle worker is mostly its start-up, and C2 costs start-up time and
     * memory. The worker classes come from the distribution's class-data archive beside the jar of this class
     * (lib/worker.jsa, AppCDS, on JDK 17; lib/worker.aot, an AOT cache, on JDK 25: {@link ClassArchiveFormat}), when
     * its training record says it fits the worker's class path and JDK ({@link #archiveFlag}):
     * the JVM would drop one that does not in silence, so the master says so instead, once.
     * {@code ArchiveRelocationMode=0} maps the archives at the address they were written for, as JDK 17 did
     * until 17.0.15 made relocation the default: no pointer rewritten before the first class loads (~65 ms
     * of every start here) and the archive pages stay clean, shared by all workers (PSS); the price is that
     * the class metadata does not move with address-space randomisation. {@code worker_jvm_options =
     * ["-XX:ArchiveRelocationMode=1"]} buys that back. {@code ExitOnOutOfMemoryError}: a worker whose heap ran out
     * exits (status {@link SpawnContract#EXIT_OUT_OF_MEMORY}) and is respawned, instead of lingering half-broken until
     * the watchdog notices.
     */
    static final List<String> DEFAULT_WORKER_JVM_FLAGS = workerJvmFlags(Runtime.version());

    /**
     * The default flags of a worker JVM of {@code jdk}: the workers run the master's own java, so the master's JDK
     * decides. JDK 25 refuses its AOT cache beside {@code -Xshare:auto}, which JDK 17's archive has
     * ({@link ClassArchiveFormat#sharingFlags}). From JDK 24 on, jffi's first use of {@code sun.misc.Unsafe} prints four
     * warning lines into the error log of every worker (JEP 498): allowed explicitly, as JDK 17 does by default.
     */
    static List<String> workerJvmFlags(Runtime.Version jdk) {
        List<String> all = new ArrayList<>(List.of(
                "-XX:+UseSerialGC", "-Xss512k", "-Xms8m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
                "-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED",
                "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0"));
        if (jdk.feature() >= 24) {
            all.add("--sun-misc-unsafe-memory-access=allow");
        }
        all.addAll(ClassArchiveFormat.of(jdk).sharingFlags());
        try {
            Path jar = Path.of(Spawner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(jar)) {
                return List.copyOf(all); // classes from a directory (tests): no distribution around them
            }
            // The distribution's native libraries, out of their jars: loaded in place, not copied to /tmp
            // first. The JDK's own library path stays behind them, for the application's libraries.
            Path natives = jar.resolveSibling("native");
            if (Files.isDirectory(natives)) {
                all.add("-Djffi.boot.library.path=" + natives);
                String jdkPath = System.getProperty("java.library.path", "");
                all.add("-Djava.library.path=" + natives + (jdkPath.isEmpty() ? "" : File.pathSeparator + jdkPath));
            }
        } catch (RuntimeException | URISyntaxException unknownSource) {
            // an unknown code source: no archive, no native directory
        }
        return List.copyOf(all);
    }

    private final Posix posix;
    private final String javaExecutable;
    private final ClassArchives archives;
    /** Why the worker archive did not fit at the last spawn that found it stale (said once, not at every spawn). */
    private String archiveStaleBecause;

    Spawner(Posix posix) {
        this.posix = posix;
        this.javaExecutable = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        this.archives = ClassArchives.ofThisDistribution().orElse(null);
    }

    /** Starts the worker of slot {@code slot} for {@code generation}, on the slot's CPUs. */
    Worker spawn(int slot, WorkerGeneration generation) {
        return spawnProcess(generation, workerArgv(SpawnContract.WORKER_TITLE, false, slot, generation),
                affinityFor(slot, generation), false);
    }

    /**
     * Starts spare number {@code number} for {@code generation}: the same descriptors, environment and JVM as a
     * worker's, titled {@link SpawnContract#SPARE_TITLE}, {@code --spare=K} instead of {@code --slot}, and no CPU
     * affinity (it gets its slot's at promotion). The nice value is the generation's, as for every worker; with
     * {@code idle} every thread of it also runs at SCHED_IDLE until its promotion raises it ({@link SparePriority}).
     */
    Worker spawnSpare(int number, WorkerGeneration generation, boolean idle) {
        return spawnProcess(generation, workerArgv(SpawnContract.SPARE_TITLE, true, number, generation), null, idle);
    }

    private Worker spawnProcess(WorkerGeneration generation, List<String> argv, BitSet affinity, boolean idle) {
        int[] channelPair = posix.socketpair(SocketType.SEQPACKET);
        Channel channel;
        try {
            channel = new Channel(posix, channelPair[0]); // owns the master's end from here, and closes it on failure
        } catch (RuntimeException e) {
            posix.closeQuietly(channelPair[1]);
            throw e;
        }
        int[] inbox = null;
        List<Integer> temporary = new ArrayList<>();
        boolean spawned = false;
        try {
            inbox = posix.socketpair(SocketType.SEQPACKET);
            // SIGIO comes to the master, where it is blocked and read (and ignored) from the signalfd:
            // never its default action, which would kill the master (JVM-NOTES.md).
            posix.setOwner(channel.fd(), posix.getpid());
            posix.setAsync(channel.fd(), true);
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
                    .mapFd(channelPair[1], SpawnContract.CHANNEL_FD)
                    .mapFd(inbox[1], SpawnContract.INBOX_FD)
                    .mapFd(configFd, SpawnContract.CONFIG_FD);
            List<Integer> listenerFds = generation.listenerFds;
            for (int i = 0; i < listenerFds.size(); i++) {
                request.mapFd(listenerFds.get(i), SpawnContract.FIRST_LISTENER_FD + i);
            }
            int pid = spawnWithThreadAttributes(request, generation.config.workerPriority(), affinity, idle);
            spawned = true;
            return new Worker(pid, channel, inbox[0], System.nanoTime());
        } finally {
            // The child's ends: it has its own copies now, or there is no child.
            posix.closeQuietly(channelPair[1]);
            if (inbox != null) {
                posix.closeQuietly(inbox[1]);
                if (!spawned) {
                    posix.closeQuietly(inbox[0]);
                }
            }
            if (!spawned) {
                channel.close();
            }
            temporary.forEach(posix::closeQuietly);
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
     * One that cannot be taken on (a negative worker_priority under a master that is not root: EACCES) is an
     * alert and the worker starts without it, as nginx's workers go on after a failed setpriority. The scheduling
     * policy is inherited the same way: {@code idle} makes every thread of a spare's JVM SCHED_IDLE from its start.
     */
    private int spawnWithThreadAttributes(SpawnRequest request, int nice, BitSet affinity, boolean idle) {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread spawning = new Thread(() -> {
            try {
                takeOn("worker_priority", () -> {
                    if (nice != posix.getPriority(0)) {
                        posix.setPriority(0, nice);
                    }
                });
                if (affinity != null) {
                    takeOn("worker_cpu_affinity", () -> posix.setAffinity(0, affinity));
                }
                if (idle) {
                    takeOn("worker_spare_priority", () -> posix.setScheduler(0, SchedulingPolicy.IDLE));
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

    private void takeOn(String directive, Runnable attribute) {
        try {
            attribute.run();
        } catch (PosixException e) {
            log.error("{} cannot apply to the next worker ({}); it starts without it", directive, e.getMessage());
        }
    }

    private List<String> workerArgv(String title, boolean spare, int number, WorkerGeneration generation) {
        List<String> argv = new ArrayList<>();
        argv.add(title);
        // One class path for the JVM and for the archive's check: the archive fits exactly what the worker loads.
        List<Path> classPath = WorkerJvmClassPath.of(generation.config.workerClassPath());
        argv.addAll(DEFAULT_WORKER_JVM_FLAGS);
        argv.addAll(archiveFlag(classPath, generation.config.workerJvmOptions()));
        argv.addAll(generation.config.workerJvmOptions());
        argv.add("-cp");
        argv.add(classPath.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)));
        argv.add(SpawnContract.WORKER_MAIN_CLASS);
        argv.addAll(SpawnContract.workerArguments(spare, number, generation.number, posix.getpid(),
                generation.listenerFds.size()));
        return argv;
    }

    /**
     * {@code -XX:SharedArchiveFile} for lib/worker.jsa (JDK 17), {@code -XX:AOTCache} for lib/worker.aot (JDK 25),
     * when it fits this worker's class path now (a reload may change {@code worker_class_path}, an upgrade the jars):
     * a stat of each entry and a small read, at a spawn. One that does not fit is left out, with a warning when the
     * reason is new: the master retrains a stale archive at its start, so this is a class path or a jar that changed
     * since. None either when {@code worker_jvm_options} choose sharing themselves ({@code -Xshare:off}): JDK 25 does
     * not start with {@code -XX:AOTCache} beside any {@code -Xshare:}.
     */
    private List<String> archiveFlag(List<Path> classPath, List<String> workerJvmOptions) {
        if (archives == null || workerJvmOptions.stream().anyMatch(o -> o.startsWith("-Xshare:"))) {
            return List.of();
        }
        Path archive = archives.workerArchive();
        Optional<String> stale = ClassArchives.whyStale(archive, classPath);
        // Another JDK's archive was named at the master's start already (StaleClassArchives): one line, not two.
        if (stale.isPresent() && !stale.get().equals(archiveStaleBecause) && !ClassArchives.trainedByAnotherJdk(archive)) {
            log.warn("workers start without the class-data archive {}: {}; `{} --train-archives` retrains it",
                    archive, stale.get(), Launcher.command());
        }
        archiveStaleBecause = stale.orElse(null);
        return ClassArchives.exists(archive) && stale.isEmpty() ? List.of(archives.format().mappingFlag(archive)) : List.of();
    }

    private static List<String> workerEnvironment(WorkerGeneration generation) {
        List<String> env = new ArrayList<>();
        String suspendResume = SpawnContract.SUSPEND_RESUME_SIGNAL.substring(0, SpawnContract.SUSPEND_RESUME_SIGNAL.indexOf('=') + 1);
        boolean ownSuspendResume = false;
        for (String entry : generation.config.workerEnvironment()) {
            // systemd's notify socket and activated sockets belong to the master alone.
            if (!entry.startsWith("NOTIFY_SOCKET=") && !entry.startsWith("LISTEN_")) {
                env.add(entry);
                ownSuspendResume |= entry.startsWith(suspendResume);
            }
        }
        env.add(SpawnContract.WORKER_ENVIRONMENT);
        if (!ownSuspendResume) {
            env.add(SpawnContract.SUSPEND_RESUME_SIGNAL);
        }
        return env;
    }
}
