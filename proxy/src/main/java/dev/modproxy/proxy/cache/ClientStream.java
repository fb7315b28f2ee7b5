package dev.modproxy.proxy.cache;

import java.io.IOException;

/**
 * The response of the client that triggered a cold download, so it can receive bytes as they arrive (and of a bucket
 * hit, streamed the same way by a {@link PacedSender}). Nothing here blocks: a writer waits for room with
 * {@link #whenRoom}, holding no thread while the client is slow.
 */
public interface ClientStream {

    /** Starts a 200 response; a negative length means chunked. */
    void begin(long contentLength) throws IOException;

    /**
     * Sends a chunk, taking ownership of the array; throws when the client has gone. Never blocks: the first write,
     * and each one of at most the length a {@link #whenRoom} continuation was called for, has room; a write without
     * room is a programming error (IllegalStateException).
     */
    void write(byte[] chunk) throws IOException;

    /**
     * Runs {@code next} once {@code length} more bytes fit, or once the client is gone (its next {@link #write} then
     * throws): at once on this thread when they fit now, else later on another (the event loop), so {@code next}
     * should only hand the next step to a thread. One continuation at a time.
     */
    void whenRoom(int length, Runnable next);

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
