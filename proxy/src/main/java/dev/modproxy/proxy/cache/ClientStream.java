package dev.modproxy.proxy.cache;

import java.io.IOException;

/** The response of the client that triggered a cold download, so it can receive bytes as they arrive. */
public interface ClientStream {

    /** Starts a 200 response; a negative length means chunked. */
    void begin(long contentLength) throws IOException;

    /** Sends a chunk, taking ownership of the array; blocks while the client is slow, throws when it has gone. */
    void write(byte[] chunk) throws IOException;

    /** Completes the response. */
    void end();

    /** Breaks the connection so the client sees a failed download instead of a short file. */
    void abort();

    /**
     * Takes back a {@link #begin} of which nothing has been written: the response is free again for a refusal with its
     * reason. Called only when no chunk was written.
     */
    void retract();
}
