package io.masterwork.master.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationValueTest {

    @Test
    void bareNumberIsSeconds() {
        assertThat(DurationValue.parse("10")).isEqualTo(Duration.ofSeconds(10));
        assertThat(DurationValue.parse(" 0 ")).isEqualTo(Duration.ZERO);
    }

    @Test
    void unitsAsNginxReadsThem() {
        assertThat(DurationValue.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationValue.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(DurationValue.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(DurationValue.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(DurationValue.parse("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(DurationValue.parse("1w")).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void partsCombine() {
        assertThat(DurationValue.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(DurationValue.parse("1h 30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(DurationValue.parse("1s500ms")).isEqualTo(Duration.ofMillis(1500));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "10x", "-5s", "1.5s", "10 5", "5 10s", "ten seconds", "10sec", "ms10"})
    void rejectsWhatNginxRejects(String text) {
        assertThatThrownBy(() -> DurationValue.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duration");
    }
}
