package dev.modproxy.proxy.testing;

import java.util.Arrays;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What one class logs while a test runs, each record's message with its parameters filled in, in order. Close it
 * (try-with-resources, or an {@code @AfterEach}) to stop listening.
 */
public final class CapturedLog extends Handler implements AutoCloseable {

    private final Logger logger;
    /** The logger's level before a test lowered it, put back on close. */
    private Level levelBefore;

    private boolean levelLowered;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();

    private CapturedLog(Logger logger) {
        this.logger = logger;
    }

    /** Starts listening to what {@code source} logs. */
    public static CapturedLog of(Class<?> source) {
        CapturedLog log = new CapturedLog(Logger.getLogger(source.getName()));
        log.logger.addHandler(log);
        return log;
    }

    /**
     * Starts listening to what {@code source} logs at {@code level} or above, though the tests' configuration
     * quiets it (application.properties' {@code %test} categories), until closed.
     */
    public static CapturedLog of(Class<?> source, Level level) {
        CapturedLog log = of(source);
        log.levelBefore = log.logger.getLevel();
        log.levelLowered = true;
        log.logger.setLevel(level);
        return log;
    }

    /** Every line so far. */
    public List<String> lines() {
        return lines;
    }

    /** The lines at WARNING or above so far. */
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public void publish(LogRecord record) {
        String line = text(record);
        lines.add(line);
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
            warnings.add(line);
        }
    }

    /** The project logs printf-style ({@code warnf}); anything else keeps its parameters beside the message. */
    private static String text(LogRecord record) {
        Object[] parameters = record.getParameters();
        if (parameters == null || parameters.length == 0) {
            return record.getMessage();
        }
        try {
            return String.format(record.getMessage(), parameters);
        } catch (IllegalFormatException e) {
            return record.getMessage() + " " + Arrays.toString(parameters);
        }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        logger.removeHandler(this);
        if (levelLowered) {
            logger.setLevel(levelBefore);
        }
    }
}
