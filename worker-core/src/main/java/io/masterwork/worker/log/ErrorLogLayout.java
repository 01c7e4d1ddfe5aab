package io.masterwork.worker.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import io.masterwork.posix.LogTime;
import org.slf4j.Marker;

/**
 * nginx's error log line, {@code 2026/11/28 03:16:21 [notice] 1234#loop: message}, the same as the
 * master writes (pid, then the thread: nginx prints its tid there), so one error log reads as one story. Written by hand rather than with a pattern:
 * no pattern parser on a worker's start path.
 *
 * <p>Levels map to nginx's names: ERROR is {@code error} (or {@code alert} / {@code emerg} with
 * those markers, see {@link Markers}), WARN {@code warn}, INFO {@code notice}, DEBUG {@code info},
 * TRACE {@code debug}.
 */
public final class ErrorLogLayout extends LayoutBase<ILoggingEvent> {

    private final String pidPart = " " + ProcessHandle.current().pid() + "#";

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(96);
        line.append(LogTime.errorLog(event.getTimeStamp()))
                .append(" [").append(levelName(event)).append(']')
                .append(pidPart).append(event.getThreadName()).append(": ")
                .append(event.getFormattedMessage())
                .append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(ThrowableProxyUtil.asString(thrown)).append(CoreConstants.LINE_SEPARATOR);
        }
        return line.toString();
    }

    static String levelName(ILoggingEvent event) {
        if (event.getMarkerList() != null) {
            for (Marker marker : event.getMarkerList()) {
                if (marker == Markers.ALERT) {
                    return "alert";
                }
                if (marker == Markers.EMERG) {
                    return "emerg";
                }
            }
        }
        Level level = event.getLevel();
        if (level == Level.ERROR) {
            return "error";
        }
        if (level == Level.WARN) {
            return "warn";
        }
        if (level == Level.INFO) {
            return "notice";
        }
        if (level == Level.DEBUG) {
            return "info";
        }
        return "debug";
    }
}
