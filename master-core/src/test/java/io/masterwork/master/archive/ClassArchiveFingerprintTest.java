package io.masterwork.master.archive;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ClassArchiveFingerprintTest {
    @TempDir
    Path tmp;

    @Test
    void anArchiveFitsTheClassPathItWasTrainedWithAndOneThatGoesOnAfterIt() throws IOException {
        List<Path> jars = jars(tmp.resolve("lib"), "a.jar", "b.jar");
        ClassArchiveFingerprint trained = ClassArchiveFingerprint.of(jars);

        assertThat(trained.whyNotFor(ClassArchiveFingerprint.of(jars))).isEmpty();
        Path app = jars(tmp.resolve("app"), "app.jar").get(0);
        assertThat(trained.whyNotFor(ClassArchiveFingerprint.of(List.of(jars.get(0), jars.get(1), app)))).isEmpty();
    }

    @Test
    void aCopiedDistributionAChangedJarAShorterClassPathOrAnotherJdkDoNotFit() throws IOException {
        List<Path> jars = jars(tmp.resolve("lib"), "a.jar", "b.jar");
        ClassArchiveFingerprint trained = ClassArchiveFingerprint.of(jars);

        List<Path> copied = jars(tmp.resolve("copy/lib"), "a.jar", "b.jar");
        assertThat(trained.whyNotFor(ClassArchiveFingerprint.of(copied)))
                .hasValueSatisfying(why -> assertThat(why).contains(jars.get(0).getParent().toString()).contains(copied.get(0).getParent().toString())
                        .contains("copied or moved"));

        Files.setLastModifiedTime(jars.get(1), FileTime.fromMillis(Files.getLastModifiedTime(jars.get(1)).toMillis() + 2000));
        assertThat(trained.whyNotFor(ClassArchiveFingerprint.of(jars)))
                .hasValue(jars.get(1) + " changed since it was trained");

        assertThat(trained.whyNotFor(ClassArchiveFingerprint.of(jars.subList(0, 1)))).isPresent();

        ClassArchiveFingerprint otherJdk = new ClassArchiveFingerprint("/opt/other-jdk", "17.0.1+12", trained.classPath());
        assertThat(otherJdk.whyNotFor(trained)).hasValueSatisfying(why -> assertThat(why).contains("/opt/other-jdk"));
    }

    @Test
    void theRecordReadsBackAsWritten() throws IOException {
        List<Path> jars = jars(tmp.resolve("a dir with spaces"), "a.jar");
        ClassArchiveFingerprint trained = ClassArchiveFingerprint.of(jars);
        Path record = ClassArchiveFingerprint.recordOf(tmp.resolve("worker.jsa"));
        Files.writeString(record, trained.text());

        assertThat(record.getFileName()).hasToString("worker.jsa.trained");
        assertThat(ClassArchiveFingerprint.read(record)).hasValue(trained);
        Files.writeString(record, "not a record\n");
        assertThat(ClassArchiveFingerprint.read(record)).isEmpty();
        assertThat(ClassArchiveFingerprint.read(tmp.resolve("missing"))).isEmpty();
    }

    @Test
    void anArchiveWithoutItsRecordIsStaleAndNoArchiveIsNothingToSay() throws IOException {
        List<Path> jars = jars(tmp.resolve("lib"), "a.jar");
        Path archive = tmp.resolve("lib/worker.jsa");

        assertThat(ClassArchives.whyStale(archive, jars)).isEmpty();
        assertThat(ClassArchives.fits(archive, jars)).isFalse();

        Files.writeString(archive, "archive");
        assertThat(ClassArchives.whyStale(archive, jars)).hasValueSatisfying(why -> assertThat(why).contains("no record"));

        Files.writeString(ClassArchiveFingerprint.recordOf(archive), ClassArchiveFingerprint.of(jars).text());
        assertThat(ClassArchives.fits(archive, jars)).isTrue();
    }

    private static List<Path> jars(Path dir, String... names) throws IOException {
        Files.createDirectories(dir);
        return java.util.Arrays.stream(names).map(n -> {
            try {
                Path jar = Files.writeString(dir.resolve(n), "jar " + n);
                Files.setLastModifiedTime(jar, FileTime.fromMillis(1_700_000_000_000L));
                return jar;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }
}
