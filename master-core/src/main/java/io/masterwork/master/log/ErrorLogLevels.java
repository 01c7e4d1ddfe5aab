package io.masterwork.master.log;

import ch.qos.logback.classic.Level;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * nginx's error_log levels on top of SLF4J's. Log an nginx "alert" as
 * {@code log.error(ErrorLogLevels.ALERT, "...")}; plain INFO is nginx's "notice".
 */
public final class ErrorLogLevels {
    /** With INFO: printed as [info] (below notice in nginx). */
    public static final Marker INFO = MarkerFactory.getMarker("info");
    /** With ERROR: printed as [crit]. */
    public static final Marker CRIT = MarkerFactory.getMarker("crit");
    /** With ERROR: printed as [alert]. */
    public static final Marker ALERT = MarkerFactory.getMarker("alert");
    /** With ERROR: printed as [emerg]. */
    public static final Marker EMERG = MarkerFactory.getMarker("emerg");

    private ErrorLogLevels() {
    }

    static String nameOf(Marker m) {
        if (m == INFO || m == CRIT || m == ALERT || m == EMERG) {
            return m.getName();
        }
        return null;
    }

    /** The Logback threshold for an nginx level name (debug ... emerg). */
    public static Level threshold(String nginxLevel) {
        return switch (nginxLevel) {
            case "debug" -> Level.DEBUG;
            case "info", "notice" -> Level.INFO;
            case "warn" -> Level.WARN;
            case "error", "crit", "alert", "emerg" -> Level.ERROR;
            default -> throw new IllegalArgumentException("unknown error_log level \"" + nginxLevel + "\"");
        };
    }
}
