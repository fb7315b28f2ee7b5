package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** Only a departed client's failure is taken off Vert.x's ERROR lines; a disk failing under sendfile still shows. */
class ClientDisconnectsTest {

    private static LogRecord error(Throwable thrown) {
        LogRecord record = new LogRecord(Level.SEVERE, "failed");
        record.setThrown(thrown);
        return record;
    }

    @Test
    void aClientThatWentAwayIsNoErrorLine() {
        ClientDisconnects.ClientIoFailures filter = new ClientDisconnects.ClientIoFailures(null);
        assertFalse(filter.isLoggable(error(new IOException("Broken pipe"))));
        assertFalse(filter.isLoggable(error(new IOException("Connection reset by peer"))));
        assertFalse(filter.isLoggable(error(new ClosedChannelException())));
    }

    @Test
    void otherFailuresStillLogTheirError() {
        ClientDisconnects.ClientIoFailures filter = new ClientDisconnects.ClientIoFailures(null);
        assertTrue(filter.isLoggable(error(new IOException("Input/output error"))), "a disk read error under sendfile");
        assertTrue(filter.isLoggable(error(new IOException())), "an I/O failure that says nothing");
        assertTrue(filter.isLoggable(error(new IllegalStateException("Broken pipe"))), "not an I/O failure");
        assertTrue(filter.isLoggable(new LogRecord(Level.WARNING, "Broken pipe")));
    }
}
