package io.masterwork.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestDirectoriesTest {

    /** Run in a child JVM: makes one directory with a file in it, prints its path, exits. */
    public static void main(String[] args) throws Exception {
        Path dir = TestDirectories.create("masterwork-testdirectories-");
        Files.writeString(dir.resolve("logs.txt"), "x");
        System.out.println(dir);
    }

    private static Path runChild(String... jvmOptions) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TestDirectoriesTest.class.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child JVM exits").isTrue();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(child.exitValue()).as(out).isZero();
        return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    @Test
    void directoriesAreRemovedWhenTheTestJvmExits() throws Exception {
        Path dir = runChild();
        assertThat(dir.getFileName().toString()).startsWith("masterwork-testdirectories-");
        assertThat(dir).doesNotExist();
    }

    @Test
    void theKeepPropertyKeepsThemForALookAfterAFailure() throws Exception {
        Path dir = runChild("-D" + TestDirectories.KEEP_PROPERTY + "=true");
        try {
            assertThat(dir.resolve("logs.txt")).hasContent("x");
        } finally {
            TestDirectories.remove(dir);
        }
    }

    @Test
    void aSymbolicLinkInsideIsRemovedNotFollowed(@TempDir Path tmp) throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("keep.txt"), "mine");
        Path dir = Files.createDirectories(tmp.resolve("made" + File.separator + "logs"));
        Files.createSymbolicLink(dir.resolve("link"), outside);
        TestDirectories.remove(tmp.resolve("made"));
        assertThat(tmp.resolve("made")).doesNotExist();
        assertThat(outside.resolve("keep.txt")).hasContent("mine");
    }
}
