package io.masterwork.distribution;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ServerDistribution on an unpacked distribution of a few files: what it renames, writes, keeps and leaves out. */
class ServerDistributionTest {
    @TempDir
    Path tmp;

    @Test
    void theServersScriptConfigurationAndApplicationJarsReplaceMasterworksOwn() throws Exception {
        Path dir = unpackedDistribution();
        // copy-dependencies put the application's dependencies here: worker-api is masterwork's already
        Files.writeString(dir.resolve("lib/app/worker-api-1.0.jar"), "jar");
        Files.writeString(dir.resolve("lib/app/its-own-library-2.0.jar"), "jar");
        Path jar = Files.writeString(tmp.resolve("my-server-1.0.jar"), "jar");
        Path conf = Files.writeString(tmp.resolve("my-server.conf"), "app { greeting = \"Hi\" }\n");

        ServerDistribution.main(new String[] {"jar", dir.toString(), "my-server", jar.toString(), conf.toString(), "false"});

        assertThat(dir.resolve("bin/masterwork")).doesNotExist();
        assertThat(Files.getPosixFilePermissions(dir.resolve("bin/my-server"))).isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(dir.resolve("conf/masterwork.conf")).doesNotExist();
        try (Stream<Path> app = Files.list(dir.resolve("lib/app"))) {
            assertThat(app.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("its-own-library-2.0.jar", "my-server-1.0.jar");
        }
        assertThat(dir.resolve("conf/my-server.conf")).content().isEqualTo("""
                # my-server on masterwork. The application's jars, in lib/app/ (written by the build):
                worker_class_path = [
                  ${MASTERWORK_HOME}"/lib/app/its-own-library-2.0.jar"
                  ${MASTERWORK_HOME}"/lib/app/my-server-1.0.jar"
                ]

                # From my-server.conf:
                app { greeting = "Hi" }
                """);
        assertThat(Files.getPosixFilePermissions(dir.resolve("conf/my-server.conf")))
                .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(dir.resolve("lib/worker.jsa")).as("masterwork's own archive fits neither these paths nor jars")
                .doesNotExist();
        assertThat(dir.resolve("lib/worker.jsa.trained")).doesNotExist();
    }

    @Test
    void aPomProjectHasNoServerToMakeAndANameMustBeAFileName() throws Exception {
        Path dir = unpackedDistribution();
        ServerDistribution.main(new String[] {"pom", dir.toString(), "parent", "none.jar", "none.conf", "true"});
        assertThat(dir.resolve("bin/masterwork")).exists();

        assertThatThrownBy(() -> ServerDistribution.main(
                new String[] {"jar", dir.toString(), "../evil", "none.jar", "none.conf", "false"}))
                .hasMessageContaining("must be a file name");
    }

    private Path unpackedDistribution() throws IOException {
        Path dir = tmp.resolve("my-server-1.0");
        Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("conf"));
        Files.createDirectories(dir.resolve("lib/master"));
        Files.createDirectories(dir.resolve("lib/app"));
        Files.writeString(dir.resolve("bin/masterwork"), "#!/bin/sh\n");
        Files.writeString(dir.resolve("conf/masterwork.conf"), "worker_processes = 2\n");
        Files.writeString(dir.resolve("lib/worker-api-1.0.jar"), "jar");
        Files.writeString(dir.resolve("lib/worker.jsa"), "archive");
        Files.writeString(dir.resolve("lib/worker.jsa.trained"), "record");
        return dir;
    }
}
