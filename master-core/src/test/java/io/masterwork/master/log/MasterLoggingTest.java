package io.masterwork.master.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class MasterLoggingTest {
    private static final Logger log = LoggerFactory.getLogger("masterwork.test");

    @TempDir
    Path dir;

    @AfterEach
    void backToStderr() {
        MasterLogging.stderrOnly("notice");
    }

    @Test
    void linesLookLikeNginxAndDirectoriesAreCreated() throws IOException {
        Path file = dir.resolve("logs/deep/error.log");
        MasterLogging.configure(file, "notice", false);
        log.info("start worker processes");
        log.warn("something odd");
        log.error(ErrorLogLevels.ALERT, "worker {} exited on signal {}", 1234, 9);
        log.debug("not shown at notice");

        var lines = Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        String prefix = "^\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2} \\[%s\\] " + ProcessHandle.current().pid() + "#"
                + Thread.currentThread().getName().replace("[", "\\[").replace("]", "\\]") + ": ";
        assertThat(lines.get(0)).matches(String.format(prefix, "notice") + "start worker processes$");
        assertThat(lines.get(1)).matches(String.format(prefix, "warn") + "something odd$");
        assertThat(lines.get(2)).matches(String.format(prefix, "alert") + "worker 1234 exited on signal 9$");
    }

    @Test
    void appendsToAnExistingLog() throws IOException {
        Path file = dir.resolve("error.log");
        Files.writeString(file, "old line\n");
        MasterLogging.configure(file, "debug", false);
        log.trace("new line");
        assertThat(Files.readAllLines(file)).hasSize(2).first().isEqualTo("old line");
    }

    @Test
    void levelFiltersLines() throws IOException {
        Path file = dir.resolve("error.log");
        MasterLogging.configure(file, "error", false);
        log.info("quiet");
        log.warn("quiet too");
        log.error("loud");
        assertThat(Files.readAllLines(file)).hasSize(1).first().asString().endsWith(": loud");
    }

    @Test
    void nginxLevelsAboveError() throws IOException {
        Path file = dir.resolve("error.log");
        MasterLogging.configure(file, "alert", false);
        log.error("plain error");
        log.error(ErrorLogLevels.CRIT, "crit");
        log.error(ErrorLogLevels.ALERT, "alert");
        log.error(ErrorLogLevels.EMERG, "emerg");
        var lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains("[alert]").endsWith(": alert");
        assertThat(lines.get(1)).contains("[emerg]").endsWith(": emerg");
    }

    @Test
    void debugAndInfoAsInTheWorkers() throws IOException {
        Path file = dir.resolve("error.log");
        MasterLogging.configure(file, "info", false);
        log.trace("nginx debug");
        log.debug("nginx info");
        log.info("nginx notice");
        var lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains("[info]").endsWith(": nginx info");
        assertThat(lines.get(1)).contains("[notice]").endsWith(": nginx notice");
    }

    @Test
    void reopenStartsAFreshFileAfterRotation() throws IOException {
        Path file = dir.resolve("error.log");
        MasterLogging.configure(file, "notice", false);
        log.info("before rotation");
        Path rotated = dir.resolve("error.log.1");
        Files.move(file, rotated);
        log.info("still to the moved file");

        MasterLogging.reopen();
        log.info("after reopen");

        assertThat(Files.readString(rotated)).contains("before rotation").contains("still to the moved file")
                .doesNotContain("after reopen");
        assertThat(Files.readString(file)).contains("after reopen").doesNotContain("before rotation");
    }
}
