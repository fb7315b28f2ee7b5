package dev.modproxy.proxy.http;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A client that goes away while a cached file is sent to it with sendfile (zips over 4 MiB: a cancelled CI job, an
 * interrupted go command, a cache in front giving up, a client cut off by the idle timeout) is an everyday event, not
 * a server error. Vert.x logs an ERROR for each failed part of such a file, whatever handlers are set, so a client
 * cancelling downloads in a loop could fill the log with them. Those records are dropped from Vert.x's connection
 * logger when they carry the failure a departed client causes (a closed channel, a broken pipe, a reset connection;
 * logged here at DEBUG instead); what was being sent reports the failure itself ({@link GoProxyRoutes}' sendfile
 * completion resets the response). Every other record of that logger passes, a disk's read error among them.
 */
final class ClientDisconnects {

    /** The logger of Vert.x's connections, held here: a logger nobody references may be collected with its filter. */
    private static final Logger VERTX_CONNECTIONS = Logger.getLogger("io.vertx.core.net.impl.ConnectionBase");

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ClientDisconnects.class);

    private ClientDisconnects() {}

    /** Quiets Vert.x's ERROR per failed sendfile part caused by the client; idempotent. */
    static synchronized void quietSendfileFailures() {
        Filter before = VERTX_CONNECTIONS.getFilter();
        if (before instanceof ClientIoFailures) {
            return;
        }
        VERTX_CONNECTIONS.setFilter(new ClientIoFailures(before));
    }

    /** Whether a failure is a client that went away, as the kernel reports it (not, say, the disk failing a read). */
    static boolean clientWentAway(Throwable failure) {
        if (failure instanceof ClosedChannelException) {
            return true;
        }
        if (!(failure instanceof IOException) || failure.getMessage() == null) {
            return false;
        }
        String said = failure.getMessage().toLowerCase(Locale.ROOT);
        return said.contains("broken pipe") || said.contains("connection reset");
    }

    /** Passes every record but an ERROR for a client that went away (to DEBUG instead), then what was there before. */
    record ClientIoFailures(Filter before) implements Filter {
        @Override
        public boolean isLoggable(LogRecord record) {
            if (record.getLevel().intValue() >= Level.SEVERE.intValue() && clientWentAway(record.getThrown())) {
                LOG.debugf("client connection failed while a file was sent: %s", record.getThrown());
                return false;
            }
            return before == null || before.isLoggable(record);
        }
    }
}
