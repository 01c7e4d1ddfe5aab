package io.masterwork.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/systemd/masterwork.service as systemd reads it (issue 23): {@code systemd-analyze verify} accepts it
 * (pointed at this distribution, so that its commands exist), and {@code systemd-analyze security --offline=true}
 * finds that only the main process may notify, that no capability beyond the master's list is left, and an
 * overall exposure within 5.0 ("OK"). systemd need not run: both read the unit file alone.
 */
class DeployFilesIT {
    private static final Path REPO = Path.of(System.getProperty("masterwork.repo", "..")).toAbsolutePath().normalize();
    private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @TempDir
    Path tmp;

    @Test
    void theServiceUnitVerifiesAndItsSecurityAnalysisPasses() throws Exception {
        assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze (Debian package systemd) is not installed");
        String unit = Files.readString(REPO.resolve("deploy/systemd/masterwork.service"))
                .replace("/opt/masterwork", Distribution.HOME.toString());
        Path file = Files.writeString(tmp.resolve("masterwork.service"), unit);

        Result verify = run(ANALYZE.toString(), "verify", file.toString());
        assertThat(verify.output).as("systemd-analyze verify").isEmpty();
        assertThat(verify.status).isZero();

        Result security = run(ANALYZE.toString(), "security", "--offline=true", "--threshold=50", file.toString());
        assertThat(security.output)
                .containsPattern("✓ NotifyAccess=\\s+Service child processes cannot alter service state")
                .containsPattern("✓ NoNewPrivileges=")
                .containsPattern("✓ CapabilityBoundingSet=~CAP_\\(DAC_\\*\\|FOWNER\\|IPC_OWNER\\)")
                .containsPattern("✓ CapabilityBoundingSet=~CAP_SYS_ADMIN")
                .containsPattern("✓ CapabilityBoundingSet=~CAP_SYS_PTRACE")
                .containsPattern("✓ ProtectSystem=")
                .containsPattern("✓ ProtectHome=")
                .containsPattern("✓ PrivateTmp=");
        assertThat(security.status).as("exposure above 5.0:%n%s", security.output).isZero();
        assertThat(unit).contains("CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID CAP_CHOWN CAP_KILL"
                + " CAP_SYS_NICE CAP_SYS_RESOURCE\n");
    }

    /** The logrotate snippet reopens through the command line, which checks that it signals a masterwork master. */
    @Test
    void theLogrotateSnippetReopensThroughTheMaster() throws Exception {
        String snippet = Files.readString(REPO.resolve("deploy/logrotate/masterwork"));
        String directives = snippet.replaceAll("(?m)^\\s*#.*$", "");
        assertThat(directives).contains("postrotate").contains("/opt/masterwork/bin/masterwork -p /opt/masterwork -s reopen")
                .doesNotContain("copytruncate").doesNotContainPattern("(?m)^\\s*create\\b");
        Path logrotate = Path.of("/usr/sbin/logrotate");
        assumeTrue(Files.isExecutable(logrotate), "logrotate is not installed: its own syntax check skipped");
        Path state = tmp.resolve("state");
        Result debug = run(logrotate.toString(), "--debug", "--state", state.toString(),
                REPO.resolve("deploy/logrotate/masterwork").toString());
        assertThat(debug.output).doesNotContain("error");
    }

    private record Result(int status, String output) {
    }

    private static Result run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(List.of(command) + " did not finish within 60 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
    }
}
