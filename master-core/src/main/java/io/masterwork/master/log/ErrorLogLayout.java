package io.masterwork.master.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import io.masterwork.posix.LogTime;
import org.slf4j.Marker;

/**
 * nginx's error log line: {@code 2026/11/28 03:16:21 [notice] 1234#main: message}. nginx prints pid#tid;
 * a JVM thread id means nothing to an operator, so the thread's name stands in for it.
 *
 * <p>SLF4J's levels map to nginx's names as in the workers (worker-core's layout): ERROR {@code error},
 * WARN {@code warn}, INFO {@code notice} (nginx's lifecycle lines), DEBUG {@code info}, TRACE
 * {@code debug}; the markers in {@link ErrorLogLevels} turn an ERROR into {@code crit}, {@code alert} or
 * {@code emerg}.
 */
public final class ErrorLogLayout extends LayoutBase<ILoggingEvent> {
    private static final long PID = ProcessHandle.current().pid();

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder sb = new StringBuilder(128);
        sb.append(LogTime.errorLog(event.getTimeStamp()))
                .append(" [").append(levelName(event)).append("] ")
                .append(PID).append('#').append(event.getThreadName()).append(": ")
                .append(event.getFormattedMessage())
                .append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            sb.append(ThrowableProxyUtil.asString(thrown)).append(CoreConstants.LINE_SEPARATOR);
        }
        return sb.toString();
    }

    static String levelName(ILoggingEvent event) {
        if (event.getMarkerList() != null) {
            for (Marker m : event.getMarkerList()) {
                String name = ErrorLogLevels.nameOf(m);
                if (name != null) {
                    return name;
                }
            }
        }
        Level level = event.getLevel();
        if (level.isGreaterOrEqual(Level.ERROR)) {
            return "error";
        }
        if (level.isGreaterOrEqual(Level.WARN)) {
            return "warn";
        }
        if (level.isGreaterOrEqual(Level.INFO)) {
            return "notice";
        }
        if (level.isGreaterOrEqual(Level.DEBUG)) {
            return "info";
        }
        return "debug";
    }
}
