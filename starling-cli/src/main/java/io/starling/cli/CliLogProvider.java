package io.starling.cli;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The CLI's logging backend, found by SLF4J through {@code META-INF/services}: every logger of the library, Netty
 * and the CLI writes through {@link Logging}, which applies {@code STARLING_LOG_LEVEL}, folds repeated lines and
 * prints them on stderr — or, while an interactive shell reads a line, above its prompt. Public only because
 * {@link java.util.ServiceLoader} needs it; not an API.
 */
public final class CliLogProvider implements SLF4JServiceProvider {
    private final ILoggerFactory loggers = new Loggers();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    /** Called by {@link java.util.ServiceLoader}. */
    public CliLogProvider() {}

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
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

    @Override
    public void initialize() {}

    private static final class Loggers implements ILoggerFactory {
        private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();

        @Override
        public Logger getLogger(String name) {
            return loggers.computeIfAbsent(name, CliLogger::new);
        }
    }

    /** One named logger: checks the level, formats the message, hands the line to {@link Logging}. */
    private static final class CliLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        private final String shortName;

        CliLogger(String name) {
            this.name = name;
            int dot = name.lastIndexOf('.');
            this.shortName = name.substring(dot + 1);
        }

        @Override
        public boolean isTraceEnabled() {
            return Logging.enabled(Level.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return Logging.enabled(Level.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return Logging.enabled(Level.INFO);
        }

        @Override
        public boolean isWarnEnabled() {
            return Logging.enabled(Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return Logging.enabled(Level.ERROR);
        }

        @Override
        protected @Nullable String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(
                Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
            String message = MessageFormatter.basicArrayFormat(pattern, arguments);
            Logging.log(level, shortName, message, throwable);
        }
    }
}
