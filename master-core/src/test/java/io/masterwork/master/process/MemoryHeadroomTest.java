package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MemAvailable, or the room a cgroup v2's memory.max leaves, whichever is less; read from the kernel's files. */
class MemoryHeadroomTest {
    private static final long MIB = 1L << 20;

    @Test
    void memAvailableWhenNoCgroupSetsALimit(@TempDir Path root) throws Exception {
        SpareAllowanceTest.meminfo(root, 2048 * 1024);
        cgroups(root, "sys/fs/cgroup", "/system.slice/masterwork.service");
        write(root, "sys/fs/cgroup/system.slice/masterwork.service/memory.max", "max\n");
        assertThat(new MemoryHeadroom(root).read()).isEqualTo(new MemoryHeadroom.Reading(2048 * MIB, "MemAvailable"));
    }

    @Test
    void theTightestCgroupOnTheWayToTheRootCounts(@TempDir Path root) throws Exception {
        SpareAllowanceTest.meminfo(root, 20_000 * 1024);
        cgroups(root, "sys/fs/cgroup", "/system.slice/masterwork.service");
        write(root, "sys/fs/cgroup/system.slice/masterwork.service/memory.max", "1073741824\n"); // 1 GiB
        write(root, "sys/fs/cgroup/system.slice/masterwork.service/memory.current", Long.toString(200 * MIB));
        write(root, "sys/fs/cgroup/system.slice/memory.max", Long.toString(600 * MIB));
        write(root, "sys/fs/cgroup/system.slice/memory.current", Long.toString(500 * MIB));
        MemoryHeadroom.Reading r = new MemoryHeadroom(root).read();
        assertThat(r.bytes()).isEqualTo(100 * MIB);
        assertThat(r.source()).isEqualTo("cgroup /system.slice's memory.max 600 MiB less its memory.current 500 MiB");
    }

    @Test
    void aHybridSystemHasItsCgroup2UnderUnified(@TempDir Path root) throws Exception {
        SpareAllowanceTest.meminfo(root, 20_000 * 1024);
        cgroups(root, "sys/fs/cgroup/unified", "/c");
        write(root, "sys/fs/cgroup/unified/c/memory.max", Long.toString(300 * MIB));
        write(root, "sys/fs/cgroup/unified/c/memory.current", Long.toString(100 * MIB));
        assertThat(new MemoryHeadroom(root).read().bytes()).isEqualTo(200 * MIB);
    }

    @Test
    void memAvailableBelowTheCgroupsRoomWins(@TempDir Path root) throws Exception {
        SpareAllowanceTest.meminfo(root, 50 * 1024);
        cgroups(root, "sys/fs/cgroup", "/c");
        write(root, "sys/fs/cgroup/c/memory.max", Long.toString(300 * MIB));
        assertThat(new MemoryHeadroom(root).read()).isEqualTo(new MemoryHeadroom.Reading(50 * MIB, "MemAvailable"));
    }

    @Test
    void nothingReadableIsNoReading(@TempDir Path root) {
        assertThat(new MemoryHeadroom(root).read()).isNull();
    }

    private static void cgroups(Path root, String mount, String own) throws Exception {
        write(root, mount + "/cgroup.controllers", "cpu memory pids\n");
        write(root, "proc/self/cgroup", "0::" + own + "\n");
    }

    private static void write(Path root, String file, String text) throws Exception {
        Path path = root.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }
}
