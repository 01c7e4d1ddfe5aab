package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 23 point 9: what USR2 may execute. The layout is the launcher's; this process's user is the master's. */
class TrustedExecutableTest {
    @TempDir
    Path root;
    private int me;
    private Path script;

    @BeforeEach
    void layout() throws IOException {
        me = (Integer) Files.getAttribute(root, "unix:uid");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path bin = Files.createDirectories(root.resolve(".masterwork/builds/b1/bin"));
        for (Path p = bin; !p.equals(root); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        script = Files.writeString(bin.resolve("masterwork"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(root.resolve(".masterwork/current"), Path.of("builds/b1"));
    }

    @Test
    void aBinaryOfTheMastersUserThatNobodyElseCanWriteIsTrustedThroughTheLaunchersLink() {
        assertThat(TrustedExecutable.refusal(script, me)).isNull();
        assertThat(TrustedExecutable.refusal(root.resolve(".masterwork/current/bin/masterwork"), me)).isNull();
    }

    @Test
    void aBinaryOrADirectoryOthersCanWriteIsRefusedWithThePathAndWhy() throws IOException {
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xrwx"));
        assertThat(TrustedExecutable.refusal(root.resolve(".masterwork/current/bin/masterwork"), me))
                .isEqualTo(script + " is writable by others (mode rwxr-xrwx)");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(script.getParent(), PosixFilePermissions.fromString("rwxrwxr-x"));
        assertThat(TrustedExecutable.refusal(script, me)).isEqualTo(script.getParent() + " is writable by its group (mode rwxrwxr-x)");
    }

    @Test
    void aBinaryOfAnotherUserIsRefused() throws IOException {
        if (me == 0) {
            Files.setAttribute(script, "unix:uid", 65534);
            assertThat(TrustedExecutable.refusal(script, 0))
                    .isEqualTo(script + " belongs to uid 65534, neither root nor the master's user (uid 0)");
        } else {
            // a master of another user: this user's directories are not its own
            assertThat(TrustedExecutable.refusal(script, me + 1)).contains(" belongs to uid " + me + ", neither root");
        }
    }

    @Test
    void aLinkIsFollowedOnlyTowardsATrustedTarget() throws IOException {
        Path open = Files.createDirectories(root.resolve("open/bin"));
        Files.setPosixFilePermissions(root.resolve("open"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path planted = Files.writeString(open.resolve("masterwork"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path link = root.resolve(".masterwork/builds/b1/bin/upgrade");
        Files.createSymbolicLink(link, planted);
        assertThat(TrustedExecutable.refusal(link, me)).isEqualTo(root.resolve("open") + " is writable by others (mode rwxrwxrwx)");
    }

    @Test
    void notAnExecutableFileIsRefused() throws IOException {
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(TrustedExecutable.refusal(script, me)).isEqualTo(script + " is not executable");
        assertThat(TrustedExecutable.refusal(script.getParent(), me)).isEqualTo(script.getParent() + " is not a regular file");
        assertThat(TrustedExecutable.refusal(root.resolve("missing"), me)).startsWith(root.resolve("missing") + " cannot be looked at");
    }
}
