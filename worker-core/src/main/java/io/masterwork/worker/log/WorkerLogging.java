package io.masterwork.worker.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback set up in code for a worker JVM: one appender on stderr, which the master made the error
 * log (ARCHITECTURE.md, descriptor 2). No XML, no scanning: a worker pays for every class it loads
 * before READY.
 *
 * <p>Found by Logback through {@link java.util.ServiceLoader}; it acts only in a worker
 * ({@link #WORKER_PROPERTY} set by {@code WorkerMain} before the first logger) and otherwise lets
 * the next configurator (the master's) run.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_TOP_PRIORITY)
public final class WorkerLogConfigurator extends ContextAwareBase implements Configurator {
    public static final String WORKER_PROPERTY = "masterwork.worker";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (!Boolean.getBoolean(WORKER_PROPERTY)) {
            return ExecutionStatus.NEUTRAL;
        }
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
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
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
