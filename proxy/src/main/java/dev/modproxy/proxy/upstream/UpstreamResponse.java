package dev.modproxy.proxy.upstream;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * An answer from one upstream; for status 200 the body is still unread. For any other status the
 * body is already read and closed: {@code explanation} is the upstream's own text/plain reason,
 * cleaned by {@link UpstreamExplanation}, or empty.
 */
public record UpstreamResponse(
        Upstream upstream, int status, String contentType, long contentLength, InputStream body, String explanation)
        implements Closeable {

    /**
     * What this answer says about {@code path}, for a client or a log: the upstream's host and status, and its own
     * reason when it gave one.
     */
    public String describe(String path) {
        String said = upstream.host() + " answered " + status + " for " + path;
        return explanation.isEmpty() ? said : said + ": " + explanation;
    }

    public boolean ok() {
        return status == 200;
    }

    /** 404 and 410 mean "no such module or version": the only answers ',' falls through on. */
    public boolean notFound() {
        return status == 404 || status == 410;
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
