package io.masterwork.worker.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorLogLayoutTest {
    private final LoggerContext context = new LoggerContext();

    private String line(Level level, org.slf4j.Marker marker, String message) {
        LoggingEvent event = new LoggingEvent("x", context.getLogger("t"), level, message, null, null);
        event.setThreadName("main");
        if (marker != null) {
            event.addMarker(marker);
        }
        return new ErrorLogLayout().doLayout(event);
    }

    @Test
    void nginxsLineFormatAndLevelNames() {
        long pid = ProcessHandle.current().pid();
        assertThat(line(Level.INFO, null, "worker ready"))
                .matches("\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\[notice\\] " + pid + "#main: worker ready\\R");
        assertThat(line(Level.WARN, null, "m")).contains(" [warn] ");
        assertThat(line(Level.ERROR, null, "m")).contains(" [error] ");
        assertThat(line(Level.ERROR, Markers.ALERT, "m")).contains(" [alert] ");
        assertThat(line(Level.ERROR, Markers.EMERG, "m")).contains(" [emerg] ");
        assertThat(line(Level.DEBUG, null, "m")).contains(" [info] ");
    }
}
