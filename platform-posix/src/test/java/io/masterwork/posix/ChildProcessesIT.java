package io.masterwork.posix;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
}
