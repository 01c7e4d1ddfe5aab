package io.masterwork.posix;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.TimeZone;

import static org.assertj.core.api.Assertions.assertThat;

/** LogTime must print what java.time's formatter prints for the same instant and zone, daylight saving included. */
class LogTimeTest {
    private static final DateTimeFormatter ERROR_LOG = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");
    private static final DateTimeFormatter ACCESS_LOG = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT);
    private static final String[] ZONES = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide"};

    /** 1970 to 2100, in zones with and without daylight saving and with half-hour offsets. */
    @Property(tries = 300)
    void agrees_with_java_time(@ForAll @LongRange(min = 0, max = 4_102_444_800L) long epochSecond) {
        Instant instant = Instant.ofEpochSecond(epochSecond);
        for (String zone : ZONES) {
            LogTime.Second formatted = LogTime.format(epochSecond, TimeZone.getTimeZone(zone));
            assertThat(formatted.errorLog()).as(zone).isEqualTo(ERROR_LOG.format(instant.atZone(ZoneId.of(zone))));
            assertThat(formatted.accessLog()).as(zone).isEqualTo(ACCESS_LOG.format(instant.atZone(ZoneId.of(zone))));
        }
    }

    @Test
    void the_hour_that_daylight_saving_repeats_gets_the_offset_of_each_instant() {
        TimeZone berlin = TimeZone.getTimeZone("Europe/Berlin");
        // 2026-10-25 00:30 UTC is 02:30 CEST (+0200); an hour later it is 02:30 CET (+0100)
        long first = Instant.parse("2026-10-25T00:30:00Z").getEpochSecond();
        assertThat(LogTime.format(first, berlin).accessLog()).isEqualTo("25/Oct/2026:02:30:00 +0200");
        assertThat(LogTime.format(first + 3600, berlin).accessLog()).isEqualTo("25/Oct/2026:02:30:00 +0100");
        assertThat(LogTime.format(first + 3600, berlin).errorLog()).isEqualTo("2026/10/25 02:30:00");
    }

    @Test
    void the_cached_second_is_this_process_local_time() {
        long now = System.currentTimeMillis();
        ZoneId local = ZoneId.systemDefault();
        String expected = ERROR_LOG.format(Instant.ofEpochMilli(now).atZone(local));
        assertThat(LogTime.errorLog(now)).isEqualTo(expected);
        assertThat(LogTime.errorLog(now - now % 1000 + 999)).isEqualTo(expected);
        assertThat(LogTime.accessLog(now)).isEqualTo(ACCESS_LOG.format(Instant.ofEpochMilli(now).atZone(local)));
        assertThat(LogTime.errorLog(now + 1000)).isEqualTo(ERROR_LOG.format(Instant.ofEpochMilli(now + 1000).atZone(local)));
    }
}
