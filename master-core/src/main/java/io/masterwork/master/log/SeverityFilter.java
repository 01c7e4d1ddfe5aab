package io.masterwork.master.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops lines below the error_log level where Logback's own levels cannot tell: at {@code crit}, a plain
 * ERROR is nginx's "error" and must go, while an ERROR marked crit, alert or emerg stays.
 */
final class SeverityFilter extends Filter<ILoggingEvent> {
    private final int minimum;

    SeverityFilter(String nginxLevel) {
        this.minimum = ErrorLogLevels.severity(nginxLevel);
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return ErrorLogLevels.severity(ErrorLogLayout.levelName(event)) >= minimum ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
