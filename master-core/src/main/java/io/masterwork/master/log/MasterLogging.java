package io.masterwork.master.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.status.ErrorStatus;
import ch.qos.logback.core.status.Status;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import org.slf4j.LoggerFactory;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The master's logging, configured in code (no logback.xml is ever looked up, see
 * {@link StartupLogConfigurator}): nginx-style lines to the {@code error_log} file (appended) and, while the
 * master runs in the foreground, to stderr as well. {@link #reopen()} is USR1's half of log rotation:
 * it opens the file again by path, so after logrotate moved it the master writes to a fresh file.
 *
 * <p>The file is opened as {@link LogFileOpener} opens every log file of a root master (no symbolic link
 * followed, no FIFO, one link only), not by Logback's FileAppender, which opens whatever the path names.
 * Logback writes to a stream on that very descriptor (/proc/self/fd/N names the open file, not the path);
 * the descriptor itself stays open too, for a worker's stdout when its error log cannot be opened safely.
 */
public final class MasterLogging {
    private static final String FILE_APPENDER = "error_log";
    private static final String STDERR_APPENDER = "stderr";

    private static Path errorLog;
    private static OutputStreamAppender<ILoggingEvent> fileAppender;
    /** The descriptor of the error log Logback writes, or -1. */
    private static int descriptor = -1;
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
        OpenedLog opened = openFile(context, errorLog);
        OutputStreamAppender<ILoggingEvent> file = opened.appender;
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
        replaceDescriptor(opened.fd);
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
        replaceDescriptor(-1);
    }

    /**
     * Reopens the error log by path (USR1). On failure (the path is no longer a plain file: a symbolic link,
     * a FIFO) the old file stays in use and an alert naming the path is logged there; nothing is lost.
     */
    public static synchronized void reopen() {
        if (errorLog == null || fileAppender == null) {
            return;
        }
        LoggerContext context = context();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        OpenedLog opened;
        try {
            opened = openFile(context, errorLog);
        } catch (UncheckedIOException e) {
            LoggerFactory.getLogger("masterwork.master").error(ErrorLogLevels.ALERT,
                    "reopening {} failed, the master goes on writing the file it had open: {}", errorLog, e.getMessage());
            return;
        }
        OutputStreamAppender<ILoggingEvent> fresh = opened.appender;
        fresh.addFilter(new SeverityFilter(level));
        // attach the new file before detaching the old one: a line may land in both, none in neither
        root.addAppender(fresh);
        root.detachAppender(fileAppender);
        fileAppender.stop();
        fileAppender = fresh;
        replaceDescriptor(opened.fd);
        LoggerFactory.getLogger("masterwork.master").info("reopened {}", errorLog);
    }

    /** The error log currently written, or null when logging goes to stderr only. */
    public static synchronized Path errorLog() {
        return errorLog;
    }

    /**
     * A new descriptor (the caller owns it) of the error log the master writes, or -1 when it writes none:
     * what a worker gets as stdout and stderr when its configured error log cannot be opened safely.
     */
    public static synchronized int duplicateDescriptor() {
        return descriptor < 0 ? -1 : NativePosix.get().dup(descriptor);
    }

    private static void replaceDescriptor(int fd) {
        if (descriptor >= 0) {
            NativePosix.get().closeQuietly(descriptor);
        }
        descriptor = fd;
    }

    private record OpenedLog(OutputStreamAppender<ILoggingEvent> appender, int fd) {
    }

    private static LoggerContext context() {
        return (LoggerContext) LoggerFactory.getILoggerFactory();
    }

    private static OpenedLog openFile(LoggerContext context, Path path) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of error log " + path + ": " + e, e);
        }
        Posix posix = NativePosix.get();
        int fd;
        FileOutputStream stream;
        try {
            // Owned by the master's user here; MasterLogFiles hands it to the worker user, through a descriptor too.
            fd = LogFileOpener.openForAppend(posix, path.toAbsolutePath(), null);
        } catch (LogFileOpener.UnsafeLogFileException e) {
            throw new UncheckedIOException(new IOException(e.getMessage(), e));
        }
        try {
            stream = new FileOutputStream("/proc/self/fd/" + fd, true);
        } catch (IOException e) {
            posix.closeQuietly(fd);
            throw new UncheckedIOException("cannot open error log " + path + ": " + e.getMessage(), e);
        }
        long statusesBefore = context.getStatusManager().getCount();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setName(FILE_APPENDER);
        appender.setEncoder(encoder(context));
        appender.setOutputStream(stream);
        appender.start();
        if (!appender.isStarted()) {
            posix.closeQuietly(fd);
            throw new UncheckedIOException(new IOException("cannot open error log " + path + errorsSince(context, statusesBefore)));
        }
        return new OpenedLog(appender, fd);
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
