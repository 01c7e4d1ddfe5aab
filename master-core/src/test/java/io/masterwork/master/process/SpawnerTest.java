package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.masterwork.master.config.ConfigLoader;
import io.masterwork.posix.Errno;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A spawn is all or nothing: whichever native call fails on the way (real calls, one of them made to fail), the
 * spawn throws, no process is started, and every descriptor it opened is closed exactly once — never twice, which
 * could close a descriptor another thread has just been given the same number. (The error log's own open is not
 * among the failures: one it refuses or cannot make gives the worker the master's error log instead, an alert —
 * MasterLogFiles.openWorkerOutput.)
 */
class SpawnerTest {
    private static final Posix REAL = NativePosix.get();

    @TempDir
    Path prefix;

    @ParameterizedTest(name = "{0} #{1} fails")
    @CsvSource({"socketpair,1", "setNonBlocking,1", "socketpair,2", "setOwner,1", "setAsync,1", "setNonBlocking,2",
            "open,1", "memfd,1", "spawn,1"})
    void aFailedSpawnClosesWhatItOpenedOnceAndStartsNothing(String call, int nth) throws IOException {
        Files.createDirectories(prefix.resolve("conf"));
        Files.createDirectories(prefix.resolve("logs"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), "listen = \"127.0.0.1:8080\"\nworker_cpu_affinity = off\n");
        WorkerGeneration generation = new WorkerGeneration(1,
                ConfigLoader.load(Path.of("conf/masterwork.conf"), prefix), null, List.of());
        Recorder recorder = new Recorder(call, nth);
        Spawner spawner = new Spawner(recorder.posix());

        assertThatThrownBy(() -> spawner.spawn(0, generation)).isInstanceOf(RuntimeException.class)
                .hasMessageContaining("injected");

        assertThat(recorder.spawned).as("processes started").isZero();
        assertThat(recorder.opened).as("descriptors the spawn opened").allSatisfy(fd ->
                assertThat(recorder.closes.getOrDefault(fd, 0)).as("closes of fd %d", fd).isEqualTo(1));
        assertThat(recorder.closes.keySet()).as("descriptors closed").containsExactlyInAnyOrderElementsOf(recorder.opened);
    }

    /** The real Posix, counting what it opens and closes, with the {@code nth} call of {@code failing} failing. */
    private static final class Recorder {
        final String failing;
        final int nth;
        final List<Integer> opened = new ArrayList<>();
        final Map<Integer, Integer> closes = new HashMap<>();
        final Map<String, Integer> calls = new HashMap<>();
        int spawned;

        Recorder(String failing, int nth) {
            this.failing = failing;
            this.nth = nth;
        }

        Posix posix() {
            return (Posix) Proxy.newProxyInstance(Posix.class.getClassLoader(), new Class<?>[] {Posix.class},
                    (proxy, method, args) -> {
                        String name = method.getName();
                        int count = calls.merge(name, 1, Integer::sum);
                        if (name.equals(failing) && count == nth) {
                            throw new PosixException(name, Errno.EMFILE, "EMFILE", "injected");
                        }
                        if (name.equals("close") || name.equals("closeQuietly")) {
                            closes.merge((Integer) args[0], 1, Integer::sum);
                        }
                        if (name.equals("setOwner") || name.equals("setAsync")) {
                            // Not for real here: SIGIO to a test JVM that does not block it would end the JVM.
                            return null;
                        }
                        Object result;
                        try {
                            result = method.invoke(REAL, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                        switch (name) {
                            case "socketpair" -> {
                                for (int fd : (int[]) result) {
                                    opened.add(fd);
                                }
                            }
                            case "open", "memfd" -> opened.add((Integer) result);
                            case "spawn" -> spawned++;
                            default -> {
                            }
                        }
                        return result;
                    });
        }
    }
}
