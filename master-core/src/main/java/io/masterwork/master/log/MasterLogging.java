package io.masterwork.master.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.status.ErrorStatus;
import ch.qos.logback.core.status.Status;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The master's logging, configured in code (no logback.xml is ever looked up, see
 * {@link StartupLogConfigurator}): nginx-style lines to the {@code error_log} file (appended) and, while the
 * master runs in the foreground, to stderr as well. {@link #reopen()} is USR1's half of log rotation:
 * it opens the file again by path, so after logrotate moved it the master writes to a fresh file.
 */
public final class MasterLogging {
    private static final String FILE_APPENDER = "error_log";
    private static final String STDERR_APPENDER = "stderr";

    private static Path errorLog;
    private static FileAppender<ILoggingEvent> fileAppender;
    private static String level = "notice";

    private MasterLogging() {
    }

    /**
     * Sends every log line to {@code errorLog} (creating missing directories) and, when {@code toStderr},
     * to stderr too, at the threshold of the nginx level name. Throws UncheckedIOException when the file
     * cannot be opened, so that the master does not start blind.
     */
    public static synchronized void configure(Path errorLog, String level, boolean toStderr) {
        LoggerContext context = context();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        FileAppender<ILoggingEvent> file = openFile(context, errorLog);
        root.detachAndStopAllAppenders();
        root.setLevel(ErrorLogLevels.threshold(level));
        file.addFilter(new SeverityFilter(level));
        root.addAppender(file);
        // error_log = /dev/stderr (a container) is stderr already: a second appender would double every line.
        if (toStderr && !isStderr(errorLog)) {
            ConsoleAppender<ILoggingEvent> console = stderr(context);
            console.addFilter(new SeverityFilter(level));
            root.addAppender(console);
        }
        MasterLogging.errorLog = errorLog;
        MasterLogging.level = level;
        MasterLogging.fileAppender = file;
    }

    /** Only stderr, at the given nginx level: before the configuration is known, and for one-shot commands. */
    public static synchronized void stderrOnly(String level) {
        LoggerContext context = context();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.setLevel(ErrorLogLevels.threshold(level));
        root.addAppender(stderr(context));
        errorLog = null;
        fileAppender = null;
    }

    /**
     * Reopens the error log by path (USR1). On failure the old file stays in use and the failure is
     * logged there; nothing is lost.
     */
    public static synchronized void reopen() {
        if (errorLog == null || fileAppender == null) {
            return;
        }
        LoggerContext context = context();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        FileAppender<ILoggingEvent> fresh;
        try {
            fresh = openFile(context, errorLog);
        } catch (UncheckedIOException e) {
            LoggerFactory.getLogger("masterwork.master").error("reopening {} failed: {}", errorLog, e.getMessage());
            return;
        }
        fresh.addFilter(new SeverityFilter(level));
        // attach the new file before detaching the old one: a line may land in both, none in neither
        root.addAppender(fresh);
        root.detachAppender(fileAppender);
        fileAppender.stop();
        fileAppender = fresh;
        LoggerFactory.getLogger("masterwork.master").info("reopened {}", errorLog);
    }

    /** The error log currently written, or null when logging goes to stderr only. */
    public static synchronized Path errorLog() {
        return errorLog;
    }

    private static LoggerContext context() {
        return (LoggerContext) LoggerFactory.getILoggerFactory();
    }

    private static FileAppender<ILoggingEvent> openFile(LoggerContext context, Path path) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of error log " + path + ": " + e, e);
        }
        forgetEarlierAppenders(context, path.toAbsolutePath().toString());
        long statusesBefore = context.getStatusManager().getCount();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName(FILE_APPENDER);
        appender.setFile(path.toAbsolutePath().toString());
        appender.setAppend(true);
        appender.setEncoder(encoder(context));
        appender.start();
        if (!appender.isStarted()) {
            throw new UncheckedIOException(new IOException("cannot open error log " + path + errorsSince(context, statusesBefore)));
        }
        return appender;
    }

    /**
     * Logback refuses a second FileAppender on a file any earlier appender used (its collision map is never
     * cleared, not even on stop). Reopening the same path is exactly what USR1 wants, and only this class
     * writes the error log, so its earlier entries are dropped before the new appender starts.
     */
    @SuppressWarnings("unchecked")
    private static void forgetEarlierAppenders(LoggerContext context, String file) {
        Object map = context.getObject(CoreConstants.FA_FILENAME_COLLISION_MAP);
        if (map instanceof Map<?, ?> m) {
            ((Map<String, String>) m).values().removeIf(file::equals);
        }
    }

    private static String errorsSince(LoggerContext context, long before) {
        List<Status> all = context.getStatusManager().getCopyOfStatusList();
        StringBuilder sb = new StringBuilder();
        for (int i = (int) Math.min(before, all.size()); i < all.size(); i++) {
            Status s = all.get(i);
            if (s instanceof ErrorStatus) {
                sb.append(": ").append(s.getMessage());
                if (s.getThrowable() != null) {
                    sb.append(" (").append(s.getThrowable().getMessage()).append(')');
                }
            }
        }
        return sb.toString();
    }

    private static boolean isStderr(Path errorLog) {
        String p = errorLog.toAbsolutePath().normalize().toString();
        return p.equals("/dev/stderr") || p.equals("/proc/self/fd/2") || p.equals("/dev/fd/2");
    }

    static ConsoleAppender<ILoggingEvent> stderr(LoggerContext context) {
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(STDERR_APPENDER);
        appender.setTarget("System.err");
        appender.setEncoder(encoder(context));
        appender.start();
        return appender;
    }

    private static LayoutWrappingEncoder<ILoggingEvent> encoder(LoggerContext context) {
        ErrorLogLayout layout = new ErrorLogLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        return encoder;
    }
}
