package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * masterwork-bom from outside: a separate Maven project, as a downstream team starts one, imports the BOM and
 * depends on worker-api (provided: the master supplies it at run time) and masterwork-testkit (test), with no
 * version or scope of its own for anything else, and compiles a worker application that uses Netty's buffers;
 * its test starts a real master with that application through the testkit, which finds masterwork's jars on the
 * downstream test class path. Issue 27: with netty-bom's runtime scope for the epoll transport, the compile
 * failed with {@code package io.netty.buffer does not exist}.
 *
 * <p>The build runs offline on the Maven that runs this one, against this build's artifacts as
 * {@code ./mvnw install} installs them (copied into {@code target/downstream-repo} by the invoker plugin), with
 * the usual local repository as a read-only tail for the third-party artifacts and plugins.
 */
class DownstreamBomIT {
    @TempDir
    Path project;

    @Test
    void aProjectImportingTheBomCompilesAgainstNettyAndWorkerApiAndItsTestkitTestStartsARealMaster() throws Exception {
        write("pom.xml", """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>com.example</groupId>
                  <artifactId>downstream-server</artifactId>
                  <version>1.0</version>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencyManagement>
                    <dependencies>
                      <dependency>
                        <groupId>io.masterwork</groupId>
                        <artifactId>masterwork-bom</artifactId>
                        <version>%s</version>
                        <type>pom</type>
                        <scope>import</scope>
                      </dependency>
                    </dependencies>
                  </dependencyManagement>
                  <dependencies>
                    <dependency><groupId>io.masterwork</groupId><artifactId>worker-api</artifactId><scope>provided</scope></dependency>
                    <dependency><groupId>io.masterwork</groupId><artifactId>masterwork-testkit</artifactId><scope>test</scope></dependency>
                    <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId><scope>test</scope></dependency>
                  </dependencies>
                  <build>
                    <plugins>
                      <!-- pinned to what the offline repository holds -->
                      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.14.0</version></plugin>
                      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
                      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>3.5.3</version></plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(System.getProperty("masterwork.version")));
        write("src/main/java/com/example/GreetingApplication.java", """
                package com.example;

                import io.masterwork.api.ApplicationContext;
                import io.masterwork.api.WorkerApplication;
                import io.netty.buffer.ByteBuf;
                import io.netty.buffer.Unpooled;
                import java.nio.charset.StandardCharsets;
                import java.util.concurrent.CompletableFuture;
                import java.util.concurrent.CompletionStage;

                public final class GreetingApplication implements WorkerApplication {
                    private ByteBuf greeting;

                    @Override
                    public CompletionStage<Void> start(ApplicationContext context) {
                        greeting = Unpooled.copiedBuffer(context.settings("app").getString("greeting"), StandardCharsets.UTF_8);
                        return CompletableFuture.completedFuture(null);
                    }

                    @Override
                    public CompletionStage<Void> drain() {
                        return CompletableFuture.completedFuture(null);
                    }

                    @Override
                    public void closeAll() {
                        greeting.release();
                    }
                }
                """);
        write("src/main/java/com/example/GreetingModule.java", """
                package com.example;

                import com.google.inject.AbstractModule;
                import io.masterwork.api.WorkerApplication;

                public final class GreetingModule extends AbstractModule {
                    @Override
                    protected void configure() {
                        bind(WorkerApplication.class).to(GreetingApplication.class);
                    }
                }
                """);
        // A worker refuses an app {} section that no application on its class path checks.
        write("src/main/java/com/example/GreetingSettingsCheck.java", """
                package com.example;

                import com.typesafe.config.Config;
                import com.typesafe.config.ConfigFactory;
                import io.masterwork.api.SettingsCheck;

                public final class GreetingSettingsCheck implements SettingsCheck {
                    @Override
                    public String section() {
                        return "app";
                    }

                    @Override
                    public Config defaults() {
                        return ConfigFactory.parseString("greeting = Hello");
                    }

                    @Override
                    public void check(Config app) {
                        app.getString("greeting");
                    }
                }
                """);
        write("src/main/resources/META-INF/services/io.masterwork.api.SettingsCheck", "com.example.GreetingSettingsCheck\n");
        write("src/test/java/com/example/GreetingTest.java", """
                package com.example;

                import static org.junit.jupiter.api.Assertions.assertEquals;

                import io.masterwork.testkit.RunningMaster;
                import org.junit.jupiter.api.Test;

                class GreetingTest {
                    @Test
                    void twoWorkersStartTheApplication() throws Exception {
                        try (RunningMaster master = RunningMaster.builder().workerModules(GreetingModule.class)
                                .app("greeting = hello").start()) {
                            assertEquals(2, master.awaitWorkers(2).size());
                        }
                    }
                }
                """);

        Build build = maven("-B", "-o", "test");

        assertThat(build.exit()).as("the downstream build's output:%n%s", build.output()).isZero();
        assertThat(build.output()).contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0");
    }

    /**
     * A server that inherits the BOM's list through masterwork-server-parent, rather than importing it, and has a
     * version of its own: masterwork's artifacts still resolve at masterwork's version (the list once named them
     * with {@code ${project.version}}, which a child interpolates as its own: worker-api 1.0 was not found).
     */
    @Test
    void aServerWithAVersionOfItsOwnInheritsMasterworksVersionsThroughTheServerParent() throws Exception {
        write("pom.xml", """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <parent>
                    <groupId>io.masterwork</groupId>
                    <artifactId>masterwork-server-parent</artifactId>
                    <version>%s</version>
                    <relativePath/>
                  </parent>
                  <groupId>com.example</groupId>
                  <artifactId>own-version-server</artifactId>
                  <version>1.0</version>
                  <dependencies>
                    <dependency><groupId>io.masterwork</groupId><artifactId>worker-api</artifactId></dependency>
                  </dependencies>
                </project>
                """.formatted(System.getProperty("masterwork.version")));
        write("src/main/java/com/example/Settings.java", """
                package com.example;

                public interface Settings extends io.masterwork.api.SettingsCheck {
                }
                """);

        Build build = maven("-B", "-o", "compile");

        assertThat(build.exit()).as("the downstream build's output:%n%s", build.output()).isZero();
    }

    private void write(String path, String text) throws IOException {
        Path file = project.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private record Build(int exit, String output) {
    }

    private Build maven(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("masterwork.mavenHome"), "bin", "mvn").toString());
        command.add("-Dmaven.repo.local=" + System.getProperty("masterwork.downstreamRepository"));
        command.add("-Dmaven.repo.local.tail=" + System.getProperty("masterwork.localRepository"));
        command.addAll(List.of(arguments));
        Process maven = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true).start();
        maven.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(maven.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        if (!maven.waitFor(5, TimeUnit.MINUTES)) {
            maven.destroyForcibly();
            throw new AssertionError("the downstream build did not end within 5 minutes (pid " + maven.pid() + ")");
        }
        return new Build(maven.exitValue(), output.join());
    }
}
