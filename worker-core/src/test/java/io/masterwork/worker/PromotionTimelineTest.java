package io.masterwork.worker;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PromotionTimelineTest {

    @Test
    void namesEveryStepInOrderAndSetsApartWhatFollowsReady() {
        PromotionTimeline timeline = new PromotionTimeline(System.nanoTime());
        timeline.step("configuration");
        timeline.step("application start");
        timeline.readySent();
        timeline.resume();
        timeline.step("affinity of 3 threads");
        timeline.step("log");

        assertThat(timeline.toString()).matches("promoted: configuration \\d+ us, application start \\d+ us, "
                + "READY sent \\d+ us; then affinity of 3 threads \\d+ us, log \\d+ us");
    }

    @Test
    void eachStepIsTimedFromTheEndOfTheOneBefore() {
        long start = System.nanoTime();
        PromotionTimeline timeline = new PromotionTimeline(start - 7_000_000);
        timeline.step("configuration");

        long micros = Long.parseLong(timeline.toString().replaceAll("\\D+", " ").trim());
        assertThat(micros).isGreaterThanOrEqualTo(7_000);
    }
}
