package io.masterwork.master.archive;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which archive a master of a given JDK finds in lib/ and whether it fits: one kind at a time, the kind of the JDK
 * that trained it, so a change of JDK (17 → 25 or back) shows as an archive trained by another JDK: retrained, or
 * left out with a line, as any stale archive.
 */
class ClassArchivesTest {
    private static final String JDK17 = "/usr/lib/jvm/java-17-openjdk-amd64";
    private static final String JDK25 = "/usr/lib/jvm/temurin-25-jdk-amd64";

    @TempDir
    Path lib;

    @Test
    void theKindOfArchiveFollowsTheJdk() {
        assertThat(ClassArchiveFormat.of(Runtime.Version.parse("17.0.15"))).isEqualTo(ClassArchiveFormat.CDS);
        assertThat(ClassArchiveFormat.of(Runtime.Version.parse("24.0.1"))).isEqualTo(ClassArchiveFormat.CDS);
        assertThat(ClassArchiveFormat.of(Runtime.Version.parse("25.0.3"))).isEqualTo(ClassArchiveFormat.AOT_CACHE);
        assertThat(ClassArchiveFormat.AOT_CACHE.fileName("worker")).isEqualTo("worker.aot");
        assertThat(ClassArchiveFormat.CDS.fileName("worker")).isEqualTo("worker.jsa");
        assertThat(ClassArchiveFormat.ofFile(Path.of("lib/master.aot"))).hasValue(ClassArchiveFormat.AOT_CACHE);
        // JDK 25 does not start with -XX:AOTCache or -XX:AOTCacheOutput beside any -Xshare:
        assertThat(ClassArchiveFormat.AOT_CACHE.sharingFlags()).noneMatch(f -> f.startsWith("-Xshare:"));
        assertThat(ClassArchiveFormat.AOT_CACHE.mappingFlag(Path.of("/d/lib/worker.aot"))).isEqualTo("-XX:AOTCache=/d/lib/worker.aot");
        assertThat(ClassArchiveFormat.AOT_CACHE.trainingFlag(Path.of("/w/worker.aot"))).isEqualTo("-XX:AOTCacheOutput=/w/worker.aot");
    }

    @Test
    void aJdk25MasterFindsTheJdk17ArchiveStaleAndSaysWhichJdkTrainedIt() throws IOException {
        List<Path> jars = jars("a.jar", "b.jar");
        trained("worker.jsa", new ClassArchiveFingerprint(JDK17, "17.0.15+6-Debian-1deb12u1", ClassArchiveFingerprint.of(jars).classPath()));
        ClassArchives onJdk25 = new ClassArchives(lib, ClassArchiveFormat.AOT_CACHE);
        ClassArchiveFingerprint jdk25 = new ClassArchiveFingerprint(JDK25, "25.0.3+9-LTS", ClassArchiveFingerprint.of(jars).classPath());

        Path archive = onJdk25.workerArchive();
        assertThat(archive).isEqualTo(lib.resolve("worker.jsa"));
        assertThat(ClassArchives.whyStale(archive, jdk25, ClassArchiveFormat.AOT_CACHE)).hasValue("it was trained with the JDK "
                + "17.0.15+6-Debian-1deb12u1 in " + JDK17 + ", this is 25.0.3+9-LTS in " + JDK25);
        assertThat(onJdk25.masterArchive()).as("none: the name a training on JDK 25 writes").isEqualTo(lib.resolve("master.aot"));
    }

    @Test
    void aJdk17MasterFindsTheJdk25CacheStaleAndEachJdkItsOwnKindFirst() throws IOException {
        List<Path> jars = jars("a.jar");
        ClassArchiveFingerprint jdk25 = new ClassArchiveFingerprint(JDK25, "25.0.3+9-LTS", ClassArchiveFingerprint.of(jars).classPath());
        ClassArchiveFingerprint jdk17 = new ClassArchiveFingerprint(JDK17, "17.0.15+6-Debian-1deb12u1", jdk25.classPath());
        trained("worker.aot", jdk25);
        ClassArchives onJdk17 = new ClassArchives(lib, ClassArchiveFormat.CDS);
        ClassArchives onJdk25 = new ClassArchives(lib, ClassArchiveFormat.AOT_CACHE);

        assertThat(onJdk17.workerArchive()).isEqualTo(lib.resolve("worker.aot"));
        assertThat(ClassArchives.whyStale(onJdk17.workerArchive(), jdk17, ClassArchiveFormat.CDS))
                .hasValueSatisfying(why -> assertThat(why).contains("trained with the JDK 25.0.3+9-LTS"));
        assertThat(ClassArchives.whyStale(onJdk25.workerArchive(), jdk25, ClassArchiveFormat.AOT_CACHE)).isEmpty();

        trained("worker.jsa", jdk17);
        assertThat(onJdk17.workerArchive()).isEqualTo(lib.resolve("worker.jsa"));
        assertThat(onJdk25.workerArchive()).isEqualTo(lib.resolve("worker.aot"));
        assertThat(onJdk25.everyArchive()).extracting(p -> p.getFileName().toString())
                .containsExactlyInAnyOrder("worker.jsa", "worker.aot", "master.jsa", "master.aot");
    }

    @Test
    void anArchiveOfTheOtherKindWithARecordOfThisJdkIsStaleAllTheSame() throws IOException {
        List<Path> jars = jars("a.jar");
        ClassArchiveFingerprint jdk25 = new ClassArchiveFingerprint(JDK25, "25.0.3+9-LTS", ClassArchiveFingerprint.of(jars).classPath());
        trained("worker.jsa", jdk25);

        assertThat(ClassArchives.whyStale(lib.resolve("worker.jsa"), jdk25, ClassArchiveFormat.AOT_CACHE))
                .hasValue("it is not of the kind this JDK maps (AOT cache)");
    }

    @Test
    void anArchiveOfAnotherJdkIsToldApartFromOneOfThisJdk() throws IOException {
        List<Path> jars = jars("a.jar");
        trained("worker.jsa", new ClassArchiveFingerprint(JDK25, "25.0.3+9-LTS", ClassArchiveFingerprint.of(jars).classPath()));
        trained("master.jsa", ClassArchiveFingerprint.of(jars));

        assertThat(ClassArchives.trainedByAnotherJdk(lib.resolve("worker.jsa"))).isTrue();
        assertThat(ClassArchives.trainedByAnotherJdk(lib.resolve("master.jsa"))).isFalse();
        assertThat(ClassArchives.trainedByAnotherJdk(lib.resolve("none.jsa"))).isFalse();
    }

    private void trained(String name, ClassArchiveFingerprint with) throws IOException {
        Files.writeString(lib.resolve(name), "archive");
        Files.writeString(ClassArchiveFingerprint.recordOf(lib.resolve(name)), with.text());
    }

    private List<Path> jars(String... names) throws IOException {
        return java.util.Arrays.stream(names).map(n -> {
            try {
                return Files.writeString(lib.resolve(n), n);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }
}
