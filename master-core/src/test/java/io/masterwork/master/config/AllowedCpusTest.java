package io.masterwork.master.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AllowedCpusTest {
    @Test
    void parsesKernelCpuLists() {
        assertThat(AllowedCpus.parseList("0-3,8,10-11")).containsExactly(0, 1, 2, 3, 8, 10, 11);
        assertThat(AllowedCpus.parseList("1")).containsExactly(1);
    }

    @Test
    void thisProcessMayRunSomewhere() {
        assertThat(AllowedCpus.list()).isNotEmpty().hasSize(Runtime.getRuntime().availableProcessors());
    }
}
