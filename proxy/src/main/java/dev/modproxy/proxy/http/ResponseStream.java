package dev.modproxy.proxy.http;

import dev.modproxy.proxy.cache.ClientStream;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Writes a download to a Vert.x response from a worker thread. Backpressure is counted, not polled: each write's
 * bytes stay counted until Netty has put them on the socket, and the writer waits while more than {@link #WINDOW}
 * are, so a slow client holds a bounded number of bytes instead of a queue that grows as fast as the source.
 */
final class ResponseStream implements ClientStream {

    /**
     * Bytes one response may have written and not yet on its socket. The writer blocks past it, so a response holds
     * at most this much of the heap (plus the chunk being read), whatever the speed of its source and its client.
     */
    static final int WINDOW = 256 * 1024;

    private final HttpServerResponse response;
    private final String contentType;
    private final String cacheControl;
    private final Duration stallLimit;
    private final LongConsumer sentBytes;
    private volatile boolean gone;
    /** 206 and its Content-Range when a part of the artifact is sent ({@link #part}), else null: 200. */
    private volatile String contentRange;
    /** Bytes handed to the response whose write has not completed yet; guarded by this. */
    private long inFlight;
    /** The same, summed over every response stream of the proxy (a gauge). */
    private final AtomicLong outstanding;

    ResponseStream(
            HttpServerResponse response,
            String contentType,
            String cacheControl,
            Duration stallLimit,
            LongConsumer sentBytes,
            AtomicLong outstanding) {
        this.response = response;
        this.contentType = contentType;
        this.cacheControl = cacheControl;
        this.stallLimit = stallLimit;
        this.sentBytes = sentBytes;
        this.outstanding = outstanding;
        response.closeHandler(v -> clientGone());
        response.exceptionHandler(e -> clientGone());
    }

    private synchronized void clientGone() {
        gone = true;
        notifyAll();
    }

    /** The client went away, stopped reading, or the response was aborted. */
    boolean gone() {
        return gone;
    }

    boolean started() {
        return response.headWritten();
    }

    /** Makes the answer a 206 of that range of an artifact of size bytes; before {@link #begin}. */
    ResponseStream part(ByteRange range, long size) {
        contentRange = range.contentRange(size);
        return this;
    }

    @Override
    public void begin(long contentLength) throws IOException {
        if (gone) {
            throw new IOException("client closed the connection");
        }
        response.setStatusCode(contentRange == null ? 200 : 206)
                .putHeader("Content-Type", contentType)
                .putHeader("Cache-Control", cacheControl);
        if (contentRange != null) {
            response.putHeader(HttpHeaders.CONTENT_RANGE, contentRange);
        }
        if (contentLength >= 0) {
            response.putHeader("Content-Length", Long.toString(contentLength));
        } else {
            response.setChunked(true);
        }
    }

    @Override
    public void write(byte[] chunk) throws IOException {
        if (gone || response.closed()) {
            throw new IOException("client closed the connection");
        }
        int length = chunk.length;
        // wait until this chunk fits in the window: the bytes written before it are on the socket or being put there
        awaitRoom(length);
        synchronized (this) {
            inFlight += length;
        }
        outstanding.addAndGet(length);
        Future<Void> written;
        try {
            written = response.write(Buffer.buffer(chunk));
        } catch (RuntimeException e) {
            written(length, false);
            gone = true;
            throw new IOException("cannot write to the client: " + e.getMessage(), e);
        }
        written.onComplete(ar -> written(length, ar.succeeded()));
        sentBytes.accept(length);
    }

    /** A write finished (its bytes are in the socket) or failed: the window has room again. */
    private void written(int length, boolean succeeded) {
        outstanding.addAndGet(-length);
        synchronized (this) {
            inFlight -= length;
            if (!succeeded) {
                gone = true;
            }
            notifyAll();
        }
    }

    /**
     * Blocks until {@code length} more bytes fit in the window (or nothing is in flight). The write's own
     * completion is the signal, not {@code writeQueueFull()}: polled from this thread, that does not see writes
     * still queued to the event loop, and a fast source then queued without bound.
     */
    private synchronized void awaitRoom(int length) throws IOException {
        long stall = stallLimit.toNanos();
        long deadline = System.nanoTime() + stall;
        long seen = inFlight;
        while (inFlight > 0 && inFlight + length > WINDOW) {
            if (gone) {
                throw new IOException("client closed the connection");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                gone = true;
                throw new IOException("client stopped reading");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the client was slow");
            }
            if (inFlight < seen) {
                deadline = System.nanoTime() + stall; // the client read something: it is slow, not stalled
            }
            seen = inFlight;
        }
        if (gone) {
            throw new IOException("client closed the connection");
        }
    }

    @Override
    public void end() {
        if (!gone) {
            response.end();
        }
    }

    @Override
    public void retract() {
        if (!response.headWritten()) {
            response.setChunked(false);
            response.headers().remove("Content-Length");
        }
    }

    @Override
    public void abort() {
        clientGone();
        response.reset();
    }
}
