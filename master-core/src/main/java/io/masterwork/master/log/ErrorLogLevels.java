package io.masterwork.master.log;

import ch.qos.logback.classic.Level;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * nginx's error_log levels on top of SLF4J's: TRACE is nginx's debug, DEBUG info, INFO notice, WARN warn,
 * ERROR error; log an nginx "alert" as {@code log.error(ErrorLogLevels.ALERT, "...")}.
 */
public final class ErrorLogLevels {
    /** With ERROR: printed as [crit]. */
    public static final Marker CRIT = MarkerFactory.getMarker("crit");
    /** With ERROR: printed as [alert]. */
    public static final Marker ALERT = MarkerFactory.getMarker("alert");
    /** With ERROR: printed as [emerg]. */
    public static final Marker EMERG = MarkerFactory.getMarker("emerg");

    private ErrorLogLevels() {
    }

    /** "crit", "alert" or "emerg" for those markers (by name: worker-core's markers of the same names count too). */
    static String nameOf(Marker m) {
        String name = m.getName();
        return switch (name) {
            case "crit", "alert", "emerg" -> name;
            default -> null;
        };
    }

    private static final java.util.List<String> ORDER =
            java.util.List.of("debug", "info", "notice", "warn", "error", "crit", "alert", "emerg");

    /** Position of an nginx level name in debug .. emerg. */
    static int severity(String nginxLevel) {
        int i = ORDER.indexOf(nginxLevel);
        if (i < 0) {
            throw new IllegalArgumentException("unknown error_log level \"" + nginxLevel + "\"");
        }
        return i;
    }

    /** The Logback threshold for an nginx level name (debug ... emerg); crit and above also need {@link SeverityFilter}. */
    public static Level threshold(String nginxLevel) {
        return switch (nginxLevel) {
            case "debug" -> Level.TRACE;
            case "info" -> Level.DEBUG;
            case "notice" -> Level.INFO;
            case "warn" -> Level.WARN;
            case "error", "crit", "alert", "emerg" -> Level.ERROR;
            default -> throw new IllegalArgumentException("unknown error_log level \"" + nginxLevel + "\"");
        };
    }
}
