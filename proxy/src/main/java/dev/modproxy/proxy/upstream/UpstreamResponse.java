package dev.modproxy.proxy.upstream;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/** An answer from one upstream; for status 200 the body is still unread. */
public record UpstreamResponse(Upstream upstream, int status, String contentType, long contentLength, InputStream body)
        implements Closeable {

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
