package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.RunningMaster;
import io.masterwork.testkit.TestDirectories;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 23 point 9: what a binary upgrade takes in. Listening sockets are adopted only from a real hand-over (the
 * MASTERWORK_UPGRADE marker naming the old master, which is the new master's parent); USR2 executes only a binary
 * nobody but root and the master's user could have put there, and a refused one is logged with its path and why, the
 * old master serving on.
 */
class UpgradeInputsIT {

    @Test
    void inheritedListenersAreTakenOnlyFromTheOldMasterThatIsTheParent() throws Exception {
        Posix posix = NativePosix.get();
        // A listening socket someone hands the master at fd 3, claiming in the environment that it is an old master's.
        int planted = posix.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        try {
            int plantedPort = posix.localAddress(planted).getPort();
            String claim = "3 127.0.0.1:" + plantedPort;
            List<Map<String, String>> forged = List.of(
                    Map.of("MASTERWORK_LISTENERS", claim),
                    // pid 1 is no master's parent here: the shell that execs the master is its parent's child
                    Map.of("MASTERWORK_LISTENERS", claim, "MASTERWORK_UPGRADE", "protocol=1 pid=1 version=0 generation=7"));
            for (Map<String, String> environment : forged) {
                int port = RunningMaster.freePort();
                try (RunningMaster master = RunningMaster.startWithDescriptors("listen = \"127.0.0.1:" + port + "\"\n",
                        environment, List.of(planted), false)) {
                    master.awaitWorkers(2);
                    String log = master.errorLog();
                    assertThat(log).as("%s", environment).contains("MASTERWORK_")
                            .contains("ignored")
                            .doesNotContain("from the old master");
                    // a fresh start: generation 1, not the forged hand-over's next
                    assertThat(Http.get(port, "/_worker").text()).contains("\"generation\":1");
                    // the planted descriptor is no listener of the master's
                    assertThat(master.output() + log).doesNotContain("binary upgrade: masterwork/0");
                }
            }
        } finally {
            posix.close(planted);
        }
    }

    /**
     * The launcher's layout ({@code .masterwork/builds/<build>}, {@code .masterwork/current}) with a newest build that
     * someone else could have written: group- or world-writable, or of another user. USR2 refuses to execute it.
     */
    @Test
    void usr2RefusesABinaryThatSomeoneElseCouldHaveWritten() throws Exception {
        Path root = TestDirectories.removedAtExit(Files.createTempDirectory("masterwork-builds-"));
        Path builds = root.resolve(".masterwork/builds");
        Path first = BinaryUpgradeIT.build(builds.resolve("first"), root, "");
        Path writable = BinaryUpgradeIT.build(builds.resolve("writable"), root, "");
        Files.setPosixFilePermissions(writable.resolve("bin/masterwork"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path foreign = BinaryUpgradeIT.build(builds.resolve("foreign"), root, "");
        boolean root0 = "root".equals(System.getProperty("user.name"));
        if (root0) {
            UserPrincipal nobody = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(foreign.resolve("bin/masterwork"), nobody);
        }
        Path openDirectory = BinaryUpgradeIT.build(builds.resolve("open-directory"), root, "");
        Files.setPosixFilePermissions(openDirectory.resolve("bin"), PosixFilePermissions.fromString("rwxrwxr-x"));
        try (RunningMaster master = RunningMaster.start("", Map.of(), RunningMaster.freePort(), List.of(), first.resolve("lib"))) {
            List<Integer> workers = master.awaitWorkers(2);
            Path current = root.resolve(".masterwork/current/bin/masterwork");
            List<Map.Entry<Path, String>> refused = new java.util.ArrayList<>(List.of(
                    Map.entry(writable, writable.resolve("bin/masterwork") + " is writable by others"),
                    Map.entry(openDirectory, openDirectory.resolve("bin") + " is writable by its group")));
            if (root0) {
                refused.add(Map.entry(foreign, foreign.resolve("bin/masterwork") + " belongs to uid 65534, neither root"
                        + " nor the master's user (uid 0)"));
            }
            for (Map.Entry<Path, String> build : refused) {
                BinaryUpgradeIT.setCurrent(root, build.getKey());
                master.signal("USR2");
                await().atMost(Duration.ofSeconds(30)).until(() -> master.errorLog()
                        .contains("binary upgrade refused: " + current + ": " + build.getValue()));
                assertThat(BinaryUpgradeIT.startedBy(root, build.getKey())).isEmpty();
                assertThat(master.pidFromFile()).isEqualTo(master.pid());
                assertThat(master.pidFile().resolveSibling("masterwork.pid.oldbin")).doesNotExist();
                assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(workers);
                assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");
            }
        }
    }
}
