package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** worker_spares = auto: one per worker, as many as fit in 10% of the available memory at ~40 MiB each. */
class SpareAllowanceTest {
    private static final long MIB = 1L << 20;

    @Property
    void autoIsAsManyAsBothBoundsAllowAndNoMore(@ForAll @IntRange(min = 0, max = 1024) int workers,
                                                @ForAll @LongRange(min = 0, max = 1L << 44) long available) {
        int count = SpareAllowance.auto(workers, available, "MemAvailable").count();
        assertThat(count).isBetween(0, workers);
        assertThat(count * SpareAllowance.SPARE_PSS_ESTIMATE).as("spares' estimated PSS within 10%")
                .isLessThanOrEqualTo(available / 10);
        boolean oneMoreFits = (count + 1) * SpareAllowance.SPARE_PSS_ESTIMATE <= available / 100 * 10;
        assertThat(count == workers || !oneMoreFits).as("as many as both bounds allow").isTrue();
    }

    @Property
    void moreMemoryNeverMeansFewerSpares(@ForAll @IntRange(min = 0, max = 64) int workers,
                                         @ForAll @LongRange(min = 0, max = 1L << 40) long available,
                                         @ForAll @LongRange(min = 0, max = 1L << 40) long more) {
        assertThat(SpareAllowance.auto(workers, available + more, "m").count())
                .isGreaterThanOrEqualTo(SpareAllowance.auto(workers, available, "m").count());
    }

    @Test
    void onePerWorkerOnAMachineWithRoom() {
        SpareAllowance a = SpareAllowance.auto(2, 22_000 * MIB, "MemAvailable");
        assertThat(a.count()).isEqualTo(2);
        assertThat(a.reason()).isEqualTo("worker_spares = auto: one per worker (2); 10% of MemAvailable (22000 MiB) fits 55"
                + " at ~40 MiB each");
    }

    @Test
    void fewerWhenMemoryIsShort() {
        assertThat(SpareAllowance.auto(4, 1000 * MIB, "MemAvailable").count()).isEqualTo(2); // 100 MiB: two of 40
        assertThat(SpareAllowance.auto(4, 399 * MIB, "MemAvailable").count()).isZero();
        assertThat(SpareAllowance.auto(4, 399 * MIB, "MemAvailable").reason()).contains("fewer than one per worker (4)");
    }

    @Test
    void unknownMemoryIsOnePerWorker() {
        SpareAllowance a = SpareAllowance.auto(3, -1, "the available memory could not be read");
        assertThat(a.count()).isEqualTo(3);
        assertThat(a.reason()).contains("could not be read");
    }

    @Test
    void aNumberIsTakenAsItIsWhateverTheMemory(@TempDir Path root) throws Exception {
        meminfo(root, 1);
        SpareAllowance a = SpareAllowance.of(OptionalInt.of(3), 1, new MemoryHeadroom(root), 0);
        assertThat(a).isEqualTo(new SpareAllowance(3, "worker_spares = 3"));
        assertThat(SpareAllowance.of(OptionalInt.of(0), 8, new MemoryHeadroom(root), 0).count()).isZero();
    }

    @Test
    void runningSparesCountAsAvailable(@TempDir Path root) throws Exception {
        meminfo(root, 400 * 1024); // 400 MiB: 10% fits one spare
        assertThat(SpareAllowance.of(OptionalInt.empty(), 4, new MemoryHeadroom(root), 0).count()).isEqualTo(1);
        // Two spares run already: their ~80 MiB are not in MemAvailable, and keeping them is what is decided.
        SpareAllowance withRunning = SpareAllowance.of(OptionalInt.empty(), 4, new MemoryHeadroom(root), 2);
        assertThat(withRunning.count()).isEqualTo(1);
        assertThat(withRunning.reason()).contains("MemAvailable plus the 2 running spares (480 MiB)");
    }

    static void meminfo(Path root, long availableKib) throws Exception {
        Files.createDirectories(root.resolve("proc/self"));
        Files.writeString(root.resolve("proc/meminfo"), "MemTotal:       24683756 kB\nMemFree:         1000000 kB\n"
                + "MemAvailable:   " + availableKib + " kB\nBuffers:          12 kB\n");
    }
}
