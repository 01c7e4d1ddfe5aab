package io.masterwork.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Behaviour that only shows in a fresh JVM: what gets loaded, and dropping privileges for good. */
class ChildProcessesIT {

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    private static List<String> withVerboseClass(Class<?> main, String... args) {
        List<String> command = new ArrayList<>(ChildJvm.command(main, args));
        command.add(1, "-verbose:class");
        return command;
    }

    @Test
    void workerCallsNeverLoadJnrPosix() throws Exception {
        String log = run(withVerboseClass(LazyLoadMain.class));
        assertThat(log).contains("DONE").contains("io.masterwork.posix.NativePosix");
        assertThat(log).doesNotContain("jnr.posix.");
    }

    @Test
    void aUserLookupLoadsJnrPosix() throws Exception {
        String log = run(withVerboseClass(LazyLoadMain.class, "lookup"));
        assertThat(log).contains("USER 0").contains("jnr.posix.");
    }

    @Test
    void rootDropsToNobodyForGood() throws Exception {
        Assumptions.assumeTrue(NativePosix.get().geteuid() == 0, "needs root");
        UserInfo nobody = NativePosix.get().lookupUser("nobody");
        Assumptions.assumeTrue(nobody != null, "no user nobody");
        String out = run(ChildJvm.command(CredentialsMain.class, "nobody"));
        assertThat(out).contains("ids " + nobody.uid() + " " + nobody.uid() + " " + nobody.gid());
        assertThat(out).containsPattern("(?m)^Uid:\\s+" + nobody.uid() + "\\s+" + nobody.uid() + "\\s+" + nobody.uid());
        assertThat(out).containsPattern("(?m)^Gid:\\s+" + nobody.gid() + "\\s+" + nobody.gid());
        assertThat(out).contains("setuid(0) refused: EPERM").doesNotContain("REGAINED ROOT");
    }

    @Test
    void affinityAndPriorityOfEveryThreadOfAChildJvm() throws Exception {
        Posix posix = NativePosix.get();
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        int pid = posix.spawn(new SpawnRequest(ChildJvm.java())
                .argv(ChildJvm.command(PeerMain.class, "3"))
                .environment(ChildJvm.environment())
                .mapFd(pair[1], 3));
        try {
            // Let the JVM finish starting: one exchange with PeerMain, after which it only waits on fd 3.
            int[] pipe = posix.pipe();
            posix.sendMessage(pair[0], ByteBuffer.wrap("PING".getBytes(StandardCharsets.UTF_8)), pipe[1]);
            posix.close(pipe[1]);
            ReceivedMessage reply = posix.receiveMessage(pair[0], ByteBuffer.allocate(64));
            posix.close(pipe[0]);
            assertThat(reply.fd()).isGreaterThanOrEqualTo(0);
            posix.close(reply.fd());
            BitSet all = posix.getAffinity(0);
            BitSet one = new BitSet();
            one.set(all.previousSetBit(all.length()));
            int threads = posix.setAffinityOfAllThreads(pid, one);
            int reniced = posix.setPriorityOfAllThreads(pid, 6);
            List<String> cpus = ProcFs.taskStatus(pid, "Cpus_allowed_list");
            assertThat(threads).as("a JVM has many threads").isGreaterThan(3);
            assertThat(reniced).isGreaterThan(3);
            assertThat(cpus).containsOnly(Integer.toString(one.nextSetBit(0)));
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path task : tasks.toList()) {
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                    assertThat(Integer.parseInt(fields[16])).as("nice of task %s", task).isEqualTo(6);
                }
            }
            assertThatThrownBy(() -> posix.setAffinityOfAllThreads(999_999_999, one))
                    .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errnoName()).isEqualTo("ESRCH"));
        } finally {
            posix.kill(pid, Signal.KILL);
            posix.waitpid(pid, false);
            posix.close(pair[0]);
            posix.close(pair[1]);
        }
    }
}
