package io.masterwork.worker.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * A worker JVM's SLF4J provider: Logback with one appender on stderr, which the master made the error log
 * (ARCHITECTURE.md, descriptor 2), built in code.
 *
 * <p>Why not Logback's own provider with a configurator: SLF4J would find it, and Logback its configurators,
 * through {@link java.util.ServiceLoader}, which opens every jar of the class path, and Logback reads the
 * configurators' rank annotations by reflection — ~100 ms of a worker's start before READY on this machine
 * (docs/BENCHMARKS.md, "Worker start-up"). {@code WorkerMain} names this class in {@code slf4j.provider}
 * before the first logger, so SLF4J loads it directly and no search runs. The master's JVM, which has the
 * same jars, never sees it: it is not registered as a service.
 */
public final class WorkerLogging implements SLF4JServiceProvider {
    /** The system property SLF4J (2.0.9+) reads to load a provider without a search. */
    public static final String PROVIDER_PROPERTY = "slf4j.provider";
    /** The threshold of SLF4J's own reports on stderr (the error log). */
    public static final String REPORT_VERBOSITY_PROPERTY = "slf4j.internal.verbosity";

    private LoggerContext context;
    private IMarkerFactory markers;
    private MDCAdapter mdc;

    @Override
    public void initialize() {
        LoggerContext created = new LoggerContext();
        created.setName(CoreConstants.DEFAULT_CONTEXT_NAME);
        mdc = new LogbackMDCAdapter();
        created.setMDCAdapter(mdc);
        toStderr(created);
        created.start();
        markers = new BasicMarkerFactory();
        context = created;
    }

    private static void toStderr(LoggerContext context) {
        ErrorLogLayout layout = new ErrorLogLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("error_log");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        // Netty's own chatter at INFO is noise in an error log.
        context.getLogger("io.netty").setLevel(Level.WARN);
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return context;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    /**
     * Applies the level of {@code error_log} ("path level", nginx's names) once the configuration
     * has been read.
     */
    public static void applyLevel(String nginxLevel) {
        Level level = switch (nginxLevel) {
            case "debug" -> Level.TRACE;
            case "info" -> Level.DEBUG;
            case "notice" -> Level.INFO;
            case "warn" -> Level.WARN;
            case "error", "crit", "alert", "emerg" -> Level.ERROR;
            default -> null;
        };
        if (level != null && org.slf4j.LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(level);
        }
    }
}
