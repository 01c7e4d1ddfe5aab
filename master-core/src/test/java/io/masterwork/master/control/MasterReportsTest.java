package io.masterwork.master.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the reports promise without a master. */
class MasterReportsTest {
    @Test
    void theMetricsContentTypeIsTheWritersOwn() {
        assertThat(MasterReports.METRICS_CONTENT_TYPE).isEqualTo(MetricsExposition.CONTENT_TYPE);
    }

    @Test
    void theReloadHistogramIsBuiltAtTheFirstScrapeWithNoReloadYet() {
        MasterReports reports = new MasterReports();
        assertThat(reports.reloadDurations().collect().getDataPoints().get(0).getCount()).isZero();
    }
}
