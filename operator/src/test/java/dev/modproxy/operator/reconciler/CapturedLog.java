package dev.modproxy.operator.reconciler;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The records the named loggers publish while it is open, as the console would get them (after level filtering). */
final class CapturedLog extends Handler implements AutoCloseable {

    private final List<Logger> loggers;
    final List<LogRecord> records = new CopyOnWriteArrayList<>();

    CapturedLog(String... categories) {
        loggers = java.util.Arrays.stream(categories).map(Logger::getLogger).toList();
        loggers.forEach(l -> l.addHandler(this));
    }

    @Override
    public void publish(LogRecord record) {
        if (isLoggable(record)) {
            records.add(record);
        }
    }

    /** The message as printed: JBoss records keep printf patterns and their arguments apart. */
    static String text(LogRecord record) {
        return record instanceof org.jboss.logmanager.ExtLogRecord ext
                ? ext.getFormattedMessage()
                : record.getMessage();
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        loggers.forEach(l -> l.removeHandler(this));
    }
}
