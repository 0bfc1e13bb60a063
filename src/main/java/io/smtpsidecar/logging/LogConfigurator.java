package io.smtpsidecar.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's configuration in code, found through {@code META-INF/services}: no logback.xml, so no XML parser is
 * loaded and the image's runtime needs no {@code java.xml} module (4 MB of the jlinked JDK, and its classes in the
 * AOT cache). Session lines carry the time and the record; everything else level and logger too.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        Logger sessions = context.getLogger("smtp-sidecar.session");
        sessions.setLevel(Level.INFO);
        sessions.setAdditive(false);
        sessions.addAppender(console(context, "SESSION", "%d{yyyy-MM-dd HH:mm:ss.SSS} %msg%n"));
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.vertx").setLevel(Level.WARN);
        // vertx-config logs scan errors with a stack trace; the sidecar reports them itself, naming the problem
        context.getLogger("io.vertx.config").setLevel(Level.OFF);
        // Micrometer warns when a meter is registered twice under another description; nothing to act on
        context.getLogger("io.micrometer.core.instrument.MeterRegistry").setLevel(Level.ERROR);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console(context, "MAIN", "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%logger{0}] %msg%n"));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static ConsoleAppender<ILoggingEvent> console(LoggerContext context, String name, String pattern) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        encoder.start();
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(name);
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }
}
