package io.masterwork.master.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as nginx reads them: {@code 500ms}, {@code 10s}, {@code 1m}, {@code 2h}, {@code 1d}, parts
 * may be combined ({@code 1m30s}, {@code "1h 30m"}), and a bare number is seconds. Typesafe Config's own
 * duration syntax reads a bare number as milliseconds, which is why the schema does not use it.
 */
public final class DurationValue {
    private static final Pattern PART = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d|w)\\s*");

    private DurationValue() {
    }

    /** Parses {@code text}; throws IllegalArgumentException saying what was expected. */
    public static Duration parse(String text) {
        String trimmed = text.trim();
        if (trimmed.matches("\\d{1,18}")) {
            return Duration.ofSeconds(Long.parseLong(trimmed));
        }
        if (trimmed.isEmpty()) {
            throw invalid(text);
        }
        Matcher m = PART.matcher(trimmed);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < trimmed.length()) {
            m.region(at, trimmed.length());
            if (!m.lookingAt()) {
                throw invalid(text);
            }
            try {
                total = total.plus(of(Long.parseLong(m.group(1)), m.group(2)));
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("duration \"" + text + "\" is too long");
            }
            at = m.end();
        }
        return total;
    }

    private static Duration of(long amount, String unit) {
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            case "w" -> Duration.ofDays(Math.multiplyExact(amount, 7L));
            default -> throw new IllegalStateException(unit);
        };
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid duration \"" + text
                + "\" (expected a number of seconds or a number with a unit: ms, s, m, h, d, w; e.g. 10s, 500ms, 1m30s)");
    }
}
