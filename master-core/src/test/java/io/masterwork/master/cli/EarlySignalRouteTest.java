package io.masterwork.master.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EarlySignalRouteTest {
    @Test
    void only_the_plain_forms_of_a_start_are_routed_before_parsing() {
        assertThat(EarlySignalRoute.isPlainStart(new String[0])).isTrue();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-c", "conf/x.conf"})).isTrue();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-p", "/srv", "-c", "x.conf"})).isTrue();
    }

    @Test
    void anything_else_takes_the_usual_path() {
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-t"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-c", "x.conf", "-t"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-c", "x.conf", "-s", "quit"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-s", "quit"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"status", "--json"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-v"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-h"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-tc", "x.conf"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-c", "-t"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-c", ""})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-c"})).isFalse();
        assertThat(EarlySignalRoute.isPlainStart(new String[] {"-cx.conf", "-p"})).isFalse();
    }
}
