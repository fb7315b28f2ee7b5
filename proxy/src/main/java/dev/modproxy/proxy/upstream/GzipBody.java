package dev.modproxy.proxy.upstream;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * A gzip-encoded upstream body, decoded on first read so a slow header is read by the consumer, not by get(). Its
 * decoding is refused once it has given more than {@link #MAX_RATIO} times the bytes it has taken (past the first
 * {@link #UNCHECKED} bytes): module zips are compressed already and gzip barely shrinks them, and text shrinks far
 * less, while 1 MB of gzip can inflate to 1 GiB of nothing, each byte of it read, staged and checked.
 */
final class GzipBody extends InputStream {

    /** Deflate's own limit is about 1032 to 1. */
    static final int MAX_RATIO = 100;
    /**
     * Decoded bytes never refused for their ratio: a small answer of repeated text is no bomb. Less than a cold zip's
     * first client is held back from (64 KiB), so that a bomb is refused before the client has any byte, with its
     * reason.
     */
    static final long UNCHECKED = 32 * 1024;

    private final CountingStream encoded;
    private Decoder decoded;
    private long decodedBytes;

    GzipBody(InputStream encoded) {
        this.encoded = new CountingStream(encoded);
    }

    private Decoder decoded() throws IOException {
        if (decoded == null) {
            decoded = new Decoder(encoded);
        }
        return decoded;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Decoder decoder = decoded();
        int n = decoder.read(b, off, len);
        if (n > 0) {
            decodedBytes += n;
            long taken = decoder.taken();
            if (decodedBytes > UNCHECKED && decodedBytes > MAX_RATIO * taken) {
                close();
                throw new UnusableAnswerException("its gzip Content-Encoding inflated " + taken + " bytes to "
                        + decodedBytes + ", more than " + MAX_RATIO + " times as many (a decompression bomb)");
            }
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        encoded.close();
    }

    private static final class Decoder extends GZIPInputStream {
        private final CountingStream encoded;

        Decoder(CountingStream encoded) throws IOException {
            super(encoded, 64 * 1024);
            this.encoded = encoded;
        }

        /** The encoded bytes decoded so far: those read, less those read ahead that the inflater has not taken yet. */
        long taken() {
            return encoded.count - inf.getRemaining();
        }
    }

    /** Counts the encoded bytes read. */
    private static final class CountingStream extends FilterInputStream {
        private long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
