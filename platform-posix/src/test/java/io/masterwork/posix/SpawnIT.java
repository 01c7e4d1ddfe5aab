package io.masterwork.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jnr.ffi.Pointer;

/** posix_spawn against real programs, checked through /proc. */
class SpawnIT {
    private static final int O_CLOEXEC = 02000000;
    private final Posix posix = NativePosix.get();
    private final List<Integer> started = new ArrayList<>();
    private final List<Integer> opened = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (int pid : started) {
            if (posix.isAlive(pid)) {
                try {
                    posix.kill(pid, Signal.KILL);
                } catch (PosixException ignored) {
                    // already gone
                }
            }
            try {
                posix.waitpid(pid, false);
            } catch (PosixException ignored) {
                // reaped by the test itself
            }
        }
        for (int fd : opened) {
            posix.closeQuietly(fd);
        }
    }

    private int spawn(SpawnRequest request) {
        int pid = posix.spawn(request);
        started.add(pid);
        return pid;
    }

    private int[] track(int[] fds) {
        for (int fd : fds) {
            opened.add(fd);
        }
        return fds;
    }

    private static List<String> env() {
        return List.of("PATH=/usr/bin:/bin", "LC_ALL=C");
    }

    @Test
    void childHoldsExactlyStdioAndTheMappedDescriptors() {
        int[] pair = track(posix.socketpair(SocketType.SEQPACKET));
        int[] pipe = track(posix.pipe());
        // A descriptor that is NOT close-on-exec, like the JDK's jars: it must not reach the child.
        int leaky = posix.open("/dev/null", OpenFlags.RDONLY, 0);
        opened.add(leaky);
        posix.setCloseOnExec(leaky, false);
        long parentNonCloexec = posix.openDescriptors().stream().filter(fd -> fd > 2 && !posix.isCloseOnExec(fd)).count();
        assertThat(parentNonCloexec).as("the parent has descriptors a naive spawn would leak").isPositive();

        int pid = spawn(new SpawnRequest("/bin/sleep")
                .argv(List.of("masterwork-test-sleeper", "30"))
                .environment(env())
                .mapFd(pair[1], 3)
                .mapFd(pipe[1], 5));

        // posix_spawn returns after the exec, but the dynamic loader of the new image briefly opens
        // ld.so.cache and libraries (taking fd 4 here): wait for the program proper. A descriptor
        // leaked from the parent would stay open forever and fail this wait.
        awaitDescriptors(pid, List.of(0, 1, 2, 3, 5));
        assertThat(ProcFs.link(pid, 3)).isEqualTo(ProcFs.link(posix.getpid(), pair[1])).startsWith("socket:");
        assertThat(ProcFs.link(pid, 5)).isEqualTo(ProcFs.link(posix.getpid(), pipe[1])).startsWith("pipe:");
        assertThat(ProcFs.fdFlags(pid, 3) & O_CLOEXEC).as("dup2 cleared close-on-exec").isZero();
        assertThat(ProcFs.fdFlags(pid, 5) & O_CLOEXEC).isZero();
        assertThat(ProcFs.read("/proc/" + pid + "/cmdline")).isEqualTo("masterwork-test-sleeper\0" + "30\0");
        // The parent's descriptors are unchanged (still close-on-exec, still open).
        assertThat(posix.isCloseOnExec(pair[1])).isTrue();

        posix.kill(pid, Signal.TERM);
        WaitStatus status = posix.waitpid(pid, false);
        assertThat(status.signaled()).isTrue();
        assertThat(status.termSignal()).isEqualTo(Signal.TERM.number);
    }

    @Test
    void crossedMappingsDoNotOverwriteEachOther() {
        int[] a = track(posix.pipe());
        int[] b = track(posix.pipe());
        int[] c = track(posix.pipe());
        String aLink = ProcFs.link(posix.getpid(), a[1]);
        String bLink = ProcFs.link(posix.getpid(), b[1]);
        String cLink = ProcFs.link(posix.getpid(), c[1]);
        // a -> b's number and b -> a's number: a naive dup2 sequence would lose one of them.
        // c -> c: same number, close-on-exec in the parent, must still arrive.
        int pid = spawn(new SpawnRequest("/bin/sleep").argv(List.of("sleep", "30")).environment(env())
                .mapFd(a[1], b[1])
                .mapFd(b[1], a[1])
                .mapFd(c[1], c[1]));
        assertThat(ProcFs.link(pid, b[1])).isEqualTo(aLink);
        assertThat(ProcFs.link(pid, a[1])).isEqualTo(bLink);
        assertThat(ProcFs.link(pid, c[1])).isEqualTo(cLink);
        List<Integer> expected = new ArrayList<>(List.of(0, 1, 2, a[1], b[1], c[1]));
        expected.sort(null);
        awaitDescriptors(pid, expected);
        // The temporary copies made to avoid the collision are closed in the parent again.
        assertThat(posix.openDescriptors()).noneMatch(fd -> fd >= 100 && !opened.contains(fd)
                && ProcFs.link(posix.getpid(), fd).equals(aLink));
    }

    @Test
    void workingDirectoryArgvZeroEnvironmentAndNewSession(@TempDir Path dir) throws Exception {
        int[] out = track(posix.pipe());
        int pid = spawn(new SpawnRequest("/bin/sh")
                .argv(List.of("sh", "-c", "pwd; echo \"$0\"; echo \"$MW_VALUE\"; env | wc -l; "
                        + "cut -d' ' -f6 /proc/$$/stat", "masterwork-title"))
                .environment(List.of("MW_VALUE=hello world", "PATH=/usr/bin:/bin"))
                .workingDirectory(dir.toString())
                .newSession(true)
                .mapFd(out[1], 1));
        posix.close(out[1]);
        opened.remove((Integer) out[1]);
        String output = Pipes.readToEof(posix, out[0], Duration.ofSeconds(30));
        WaitStatus status = posix.waitpid(pid, false);
        assertThat(status.exited()).isTrue();
        assertThat(status.exitCode()).isZero();
        String[] lines = output.split("\n");
        assertThat(lines[0]).isEqualTo(dir.toRealPath().toString());
        assertThat(lines[1]).isEqualTo("masterwork-title");
        assertThat(lines[2]).isEqualTo("hello world");
        // sh adds PWD (and maybe OLDPWD/SHLVL), nothing of ours beyond the two given.
        assertThat(Integer.parseInt(lines[3].trim())).isLessThanOrEqualTo(5);
        assertThat(Integer.parseInt(lines[4].trim())).as("session id is the child's pid").isEqualTo(pid);
    }

    @Test
    void signalMaskComesFromTheRequestAndDispositionsAreDefault() throws Exception {
        Native nat = new Native();
        // Make the parent ignore TTIN (as a shell's "&" would do to INT and QUIT): SETSIGDEF must undo it.
        Pointer ignore = nat.allocate(256);
        ignore.putAddress(0, 1L); // SIG_IGN
        assertThat(nat.libc.sigaction(Signal.TTIN.number, ignore, null)).isZero();
        int[] out = track(posix.pipe());
        AtomicInteger pid = new AtomicInteger();
        try {
            // The spawning thread blocks WINCH: the child must not inherit that, only the request's set.
            Thread spawner = new Thread(() -> {
                posix.blockSignals(EnumSet.of(Signal.WINCH));
                pid.set(spawn(new SpawnRequest("/bin/sh")
                        .argv(List.of("sh", "-c", "exec grep -E '^Sig(Blk|Ign)' /proc/self/status"))
                        .environment(env())
                        .blockedSignals(EnumSet.of(Signal.HUP, Signal.USR1))
                        .mapFd(out[1], 1)));
            });
            spawner.start();
            spawner.join(10_000);
        } finally {
            posix.resetSignalDispositions(EnumSet.of(Signal.TTIN));
        }
        posix.close(out[1]);
        opened.remove((Integer) out[1]);
        String output = Pipes.readToEof(posix, out[0], Duration.ofSeconds(30));
        posix.waitpid(pid.get(), false);
        long blk = -1;
        long ign = -1;
        for (String line : output.split("\n")) {
            if (line.startsWith("SigBlk:")) {
                blk = Long.parseUnsignedLong(line.substring(7).trim(), 16);
            } else if (line.startsWith("SigIgn:")) {
                ign = Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        }
        assertThat(blk).isEqualTo((1L << (Signal.HUP.number - 1)) | (1L << (Signal.USR1.number - 1)));
        assertThat(ign).isZero();
    }

    @Test
    void priorityRlimitAndAffinityAreInheritedFromTheSpawningThread() throws Exception {
        BitSet cpus = posix.getAffinity(0);
        int lastCpu = cpus.previousSetBit(cpus.length());
        Rlimit original = posix.getrlimit(Resource.NOFILE);
        long soft = Math.min(original.soft(), 2048) - 11;
        AtomicInteger pid = new AtomicInteger();
        posix.setrlimit(Resource.NOFILE, new Rlimit(soft, original.hard()));
        try {
            // Priority and affinity are per thread on Linux: set them in a thread made for this spawn.
            Thread spawner = new Thread(() -> {
                posix.setPriority(0, 7);
                BitSet one = new BitSet();
                one.set(lastCpu);
                posix.setAffinity(0, one);
                pid.set(spawn(new SpawnRequest("/bin/sleep").argv(List.of("sleep", "30")).environment(env())));
            });
            spawner.start();
            spawner.join(10_000);
        } finally {
            posix.setrlimit(Resource.NOFILE, original);
        }
        int child = pid.get();
        assertThat(Integer.parseInt(ProcFs.stat(child)[16])).as("nice").isEqualTo(7);
        assertThat(posix.getPriority(child)).isEqualTo(7);
        assertThat(ProcFs.taskStatus(child, "Cpus_allowed_list")).containsOnly(Integer.toString(lastCpu));
        assertThat(ProcFs.read("/proc/" + child + "/limits"))
                .containsPattern("(?m)^Max open files\\s+" + soft + "\\s+" + original.hard() + "\\s");
        // Priority and affinity of another process's thread, set from here, read back from /proc.
        posix.setPriority(child, 9);
        BitSet all = posix.getAffinity(0);
        posix.setAffinity(child, all);
        assertThat(Integer.parseInt(ProcFs.stat(child)[16])).isEqualTo(9);
        assertThat(posix.getAffinity(child)).isEqualTo(all);
        // The test thread kept its own settings.
        assertThat(posix.getPriority(0)).isNotEqualTo(7);
    }

    @Test
    void memfdIsReadableInAChild() {
        int memfd = posix.memfd("config", "worker configuration\n".getBytes(StandardCharsets.UTF_8));
        opened.add(memfd);
        int[] out = track(posix.pipe());
        int pid = spawn(new SpawnRequest("/bin/cat").argv(List.of("cat")).environment(env())
                .mapFd(memfd, 0)
                .mapFd(out[1], 1));
        posix.close(out[1]);
        opened.remove((Integer) out[1]);
        assertThat(Pipes.readToEof(posix, out[0], Duration.ofSeconds(30))).isEqualTo("worker configuration\n");
        WaitStatus status = posix.waitpid(pid, false);
        assertThat(status.exited()).isTrue();
        assertThat(status.exitCode()).isZero();
    }

    @Test
    void waitpidDecodesExitCodesSignalsAndCores(@TempDir Path dir) throws Exception {
        int exits = spawn(new SpawnRequest("/bin/sh").argv(List.of("sh", "-c", "exit 7")).environment(env()));
        WaitStatus exited = posix.waitpid(exits, false);
        assertThat(exited.exited()).isTrue();
        assertThat(exited.signaled()).isFalse();
        assertThat(exited.exitCode()).isEqualTo(7);
        assertThat(exited.pid()).isEqualTo(exits);
        assertThat(exited).hasToString("exited with code 7");

        int sleeper = spawn(new SpawnRequest("/bin/sleep").argv(List.of("sleep", "30")).environment(env()));
        assertThat(posix.waitpid(sleeper, true)).as("still running").isNull();
        assertThat(posix.isAlive(sleeper)).isTrue();
        posix.kill(sleeper, Signal.KILL);
        WaitStatus killed = posix.waitpid(sleeper, false);
        assertThat(killed.signaled()).isTrue();
        assertThat(killed.exited()).isFalse();
        assertThat(killed.termSignal()).isEqualTo(9);
        assertThat(killed.coreDumped()).isFalse();
        assertThat(killed).hasToString("killed by signal 9 (SIGKILL)");
        assertThat(posix.isAlive(sleeper)).isFalse();
        assertThatThrownBy(() -> posix.waitpid(sleeper, false))
                .isInstanceOfSatisfying(PosixException.class, e -> {
                    assertThat(e.call()).isEqualTo("waitpid");
                    assertThat(e.errnoName()).isEqualTo("ECHILD");
                });
        assertThatThrownBy(() -> posix.kill(sleeper, Signal.TERM))
                .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errnoName()).isEqualTo("ESRCH"));

        // A core needs a core limit and a writable directory (core_pattern is "core" here).
        int crasher = spawn(new SpawnRequest("/bin/sh")
                .argv(List.of("sh", "-c", "ulimit -c unlimited; kill -SEGV $$"))
                .environment(env())
                .workingDirectory(dir.toString()));
        WaitStatus crashed = posix.waitpid(crasher, false);
        assertThat(crashed.signaled()).isTrue();
        assertThat(crashed.termSignal()).isEqualTo(Signal.SEGV.number);
        String pattern = ProcFs.read("/proc/sys/kernel/core_pattern").trim();
        if (!pattern.startsWith("|")) {
            assertThat(crashed.coreDumped()).isTrue();
            assertThat(crashed.toString()).endsWith("(core dumped)");
        }
    }

    @Test
    void spawnFailuresNameTheCallAndTheProgram() {
        assertThatThrownBy(() -> posix.spawn(new SpawnRequest("/nonexistent/program").argv(List.of("x")).environment(env())))
                .isInstanceOfSatisfying(PosixException.class, e -> {
                    assertThat(e.call()).isEqualTo("posix_spawn");
                    assertThat(e.errnoName()).isEqualTo("ENOENT");
                    assertThat(e.getMessage()).contains("/nonexistent/program");
                });
        int closed = posix.dup(0);
        posix.close(closed);
        assertThatThrownBy(() -> posix.spawn(new SpawnRequest("/bin/true").argv(List.of("true")).environment(env())
                .mapFd(closed, 3)))
                .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errnoName()).isEqualTo("EBADF"));
        assertThatThrownBy(() -> posix.spawn(new SpawnRequest("/bin/true").environment(env())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("argv");
        assertThatThrownBy(() -> posix.spawn(new SpawnRequest("/bin/true").argv(List.of("true")).environment(List.of("NOEQUALS"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NOEQUALS");
        // posix_spawnp searches PATH for a bare name.
        int pid = spawn(new SpawnRequest("true").argv(List.of("true")).environment(env()));
        assertThat(posix.waitpid(pid, false).exitCode()).isZero();
    }

    private static void awaitDescriptors(int pid, List<Integer> expected) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(
                () -> assertThat(ProcFs.descriptors(pid)).containsExactlyElementsOf(expected));
    }

}
