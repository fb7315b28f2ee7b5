package dev.modproxy.proxy.config;

import io.quarkus.logging.LoggingFilter;
import java.util.logging.Filter;
import java.util.logging.LogRecord;

/**
 * Drops Micrometer's one warning at start-up that the HTTP connection gauges were registered twice.
 *
 * <p>With {@code quarkus.http.limits.max-connections} set, each of Quarkus's HTTP server verticles (one per
 * event loop) registers {@code vertx.http.connections.*}. Micrometer keeps the first registration, whose
 * count covers every connection of the serving port, ignores the others and says so with a WARN that an
 * operator can do nothing about. Every other duplicate-meter warning still shows. Here, in the Quarkus adapter,
 * since it only makes sense to Quarkus's logging.
 */
@LoggingFilter(name = "duplicate-connection-gauges")
public final class DuplicateConnectionGauges implements Filter {

    private static final String MICROMETER = "io.micrometer.core.instrument.MeterRegistry";

    @Override
    public boolean isLoggable(LogRecord record) {
        return !(MICROMETER.equals(record.getLoggerName())
                && record.getMessage() != null
                && record.getMessage().contains("name='vertx.http.connections."));
    }
}
