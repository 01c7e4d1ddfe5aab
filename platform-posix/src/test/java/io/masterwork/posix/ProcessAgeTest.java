package io.masterwork.posix;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessAgeTest {
    @Test
    void reads_the_start_ticks_after_a_command_name_with_spaces_and_parentheses() {
        // field 22 (starttime) is 12345 ticks = 123.45 s after boot
        String stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 18 0 12345 1000 10 18446744073709551615";
        assertThat(ProcessAge.millis("200.50 180.00\n", stat)).isEqualTo(200_500 - 123_450);
    }

    @Test
    void this_jvm_is_as_old_as_its_runtime_says_within_the_clock_tick() {
        long viaProc = ProcessAge.millis().orElseThrow();
        long viaJvm = ManagementFactory.getRuntimeMXBean().getUptime();
        // the JVM's uptime starts a little after the exec (the launcher ran first), and /proc counts in 10 ms ticks
        assertThat(viaProc).isBetween(viaJvm - 20, viaJvm + 2_000);
    }
}
