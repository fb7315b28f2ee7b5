package dev.modproxy.proxy.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** A gzip-encoded upstream body, decoded on first read so a slow header is read by the consumer, not by get(). */
final class GzipBody extends InputStream {

    private final InputStream encoded;
    private GZIPInputStream decoded;

    GzipBody(InputStream encoded) {
        this.encoded = encoded;
    }

    private InputStream decoded() throws IOException {
        if (decoded == null) {
            decoded = new GZIPInputStream(encoded, 64 * 1024);
        }
        return decoded;
    }

    @Override
    public int read() throws IOException {
        return decoded().read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return decoded().read(b, off, len);
    }

    @Override
    public void close() throws IOException {
        encoded.close();
    }
}
