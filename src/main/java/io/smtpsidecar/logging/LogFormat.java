package io.smtpsidecar.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Switches every console appender ({@link LogConfigurator}'s) to {@link JsonLineLayout} ({@code log.format: json}). */
public final class LogFormat {
    private LogFormat() {
    }

    public static void useJson() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        for (Logger logger : context.getLoggerList()) {
            List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
            for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
                appenders.add(it.next());
            }
            for (Appender<ILoggingEvent> appender : appenders) {
                if (appender instanceof ConsoleAppender<ILoggingEvent> console) {
                    JsonLineLayout layout = new JsonLineLayout();
                    layout.setContext(context);
                    layout.start();
                    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
                    encoder.setContext(context);
                    encoder.setLayout(layout);
                    encoder.start();
                    console.stop();
                    console.setEncoder(encoder);
                    console.start();
                }
            }
        }
    }
}
