package io.masterwork.posix;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.TimeZone;

/**
 * The local time as the logs print it, formatted once per second and reused within it (nginx's cached
 * {@code err_log_time} and {@code http_log_time}): {@code 2026/12/01 13:50:10} for the error log,
 * {@code 01/Dec/2026:13:50:10 +0000} for the access log's {@code $time_local}.
 *
 * <p>Why not {@code DateTimeFormatter} with {@code ZoneId.systemDefault()}: the first region zone loads
 * {@code ZoneRulesProvider}, whose static initialiser searches every jar of the class path with
 * {@link java.util.ServiceLoader} — ~60 ms of a worker's start, spent on its first log line
 * (docs/BENCHMARKS.md, "Worker start-up"). {@link TimeZone} reads the same tz database directly, and
 * its offset at an instant follows daylight saving as the region's rules do.
 */
public final class LogTime {
    private static final String[] MONTHS =
            {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    /** One second's texts; replaced whole, so a reader never sees one half-updated. */
    record Second(long epochSecond, String errorLog, String accessLog) {
    }

    private static volatile Second cached = new Second(Long.MIN_VALUE, "", "");

    private LogTime() {
    }

    /** {@code yyyy/MM/dd HH:mm:ss} in the local time zone. */
    public static String errorLog(long epochMillis) {
        return at(epochMillis).errorLog;
    }

    /** {@code dd/MMM/yyyy:HH:mm:ss +hhmm} in the local time zone (English month names, as nginx). */
    public static String accessLog(long epochMillis) {
        return at(epochMillis).accessLog;
    }

    private static Second at(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000L);
        Second current = cached;
        if (current.epochSecond != second) {
            current = format(second, TimeZone.getDefault());
            cached = current;
        }
        return current;
    }

    static Second format(long epochSecond, TimeZone zone) {
        int offsetSeconds = zone.getOffset(epochSecond * 1000L) / 1000;
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.ofTotalSeconds(offsetSeconds));
        StringBuilder error = new StringBuilder(19);
        error.append(t.getYear()).append('/');
        two(error, t.getMonthValue()).append('/');
        two(error, t.getDayOfMonth()).append(' ');
        clock(error, t);
        StringBuilder access = new StringBuilder(26);
        two(access, t.getDayOfMonth()).append('/').append(MONTHS[t.getMonthValue() - 1]).append('/')
                .append(t.getYear()).append(':');
        clock(access, t).append(' ').append(offsetSeconds < 0 ? '-' : '+');
        int offsetMinutes = Math.abs(offsetSeconds) / 60;
        two(access, offsetMinutes / 60);
        two(access, offsetMinutes % 60);
        return new Second(epochSecond, error.toString(), access.toString());
    }

    private static StringBuilder clock(StringBuilder sb, LocalDateTime t) {
        two(sb, t.getHour()).append(':');
        two(sb, t.getMinute()).append(':');
        return two(sb, t.getSecond());
    }

    private static StringBuilder two(StringBuilder sb, int value) {
        return sb.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }
}
