package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.masterwork.master.archive.ClassArchiveFormat;
import io.masterwork.master.archive.InstalledJdks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workers' default flags start a JVM of each JDK with its kind of class-data archive: JDK 17 with
 * {@code -Xshare:auto} beside its AppCDS archive; JDK 25 writes an AOT cache and maps it with the same defaults, which
 * it would refuse beside any {@code -Xshare:} (skipped when no JDK 25 is installed).
 */
class WorkerJvmFlagsTest {
    private static final Runtime.Version JDK17 = Runtime.Version.parse("17.0.15");
    private static final Runtime.Version JDK25 = Runtime.Version.parse("25.0.3");
    private static final String UNSAFE_ALLOWED = "--sun-misc-unsafe-memory-access=allow";

    @TempDir
    Path tmp;

    @Test
    void jdk17SharesWithXshareAutoAndJdk25WithoutIt() {
        assertThat(Spawner.workerJvmFlags(JDK17)).contains("-Xshare:auto").doesNotContain(UNSAFE_ALLOWED);
        assertThat(Spawner.workerJvmFlags(JDK25)).noneMatch(f -> f.startsWith("-Xshare:")).contains(UNSAFE_ALLOWED);
        assertThat(Spawner.DEFAULT_WORKER_JVM_FLAGS).isEqualTo(Spawner.workerJvmFlags(Runtime.version()));
    }

    @Test
    void aJdk25WorkerJvmWritesAnAotCacheWithTheDefaultFlagsAndMapsIt() throws Exception {
        Optional<Path> jdk25 = InstalledJdks.atLeast(ClassArchiveFormat.FIRST_AOT_CACHE_JDK);
        assumeTrue(jdk25.isPresent(), "no JDK 25 or later under /usr/lib/jvm (or -Dmasterwork.jdk25): the AOT cache is not tried");
        Path cache = tmp.resolve("worker.aot");
        List<String> defaults = Spawner.workerJvmFlags(JDK25);

        Run training = java(jdk25.get(), defaults, ClassArchiveFormat.AOT_CACHE.trainingFlag(cache));
        assertThat(training.exit).as(training.output).isZero();
        assertThat(cache).isRegularFile();

        List<String> mapping = new ArrayList<>(defaults);
        mapping.addAll(ClassArchiveFormat.AOT_CACHE.checkFlags(cache)); // AOTMode=on: a cache that does not map fails
        Run mapped = java(jdk25.get(), mapping, "-Xlog:aot=info");
        assertThat(mapped.exit).as(mapped.output).isZero();
        assertThat(mapped.output).contains("Opened AOT cache " + cache).doesNotContain("WARNING");
    }

    private record Run(int exit, String output) {
    }

    private Run java(Path home, List<String> flags, String... more) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/java").toString());
        command.addAll(flags);
        command.addAll(List.of(more));
        command.add("-version");
        Path out = Files.createTempFile(tmp, "java", ".out");
        Process p = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return new Run(-1, "timed out: " + command);
        }
        return new Run(p.exitValue(), command + "\n" + Files.readString(out, StandardCharsets.UTF_8));
    }
}
