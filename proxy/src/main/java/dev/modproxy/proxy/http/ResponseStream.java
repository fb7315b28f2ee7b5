package dev.modproxy.proxy.http;

import dev.modproxy.proxy.cache.ClientStream;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
 * are, so a slow client holds a bounded number of bytes instead of a queue that grows as fast as the source. The
 * writer never blocks: holding no thread while the client is slow, it asks to be called back once there is room
 * ({@link #whenRoom}), and a client that takes nothing for the stall limit meanwhile is gone.
 */
final class ResponseStream implements ClientStream {

    /**
     * Bytes one response may have written and not yet on its socket. The writer waits past it, so a response holds
     * at most this much of the heap (plus the chunk being read), whatever the speed of its source and its client.
     */
    static final int WINDOW = 256 * 1024;

    private final HttpServerResponse response;
    private final Vertx vertx;
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
    /** What {@link #whenRoom} left to run once there is room or the client is gone, else null; guarded by this. */
    private Runnable parked;
    /** The bytes {@link #parked} waits to have room for; guarded by this. */
    private int parkedLength;
    /**
     * When a write last completed, or the writer parked (System.nanoTime): what a stall is measured from, by the timer
     * that watches a parked writer. The one measure: the writer waits for room nowhere else.
     */
    private long lastProgress;
    /** A timer watches the parked writer for a stall; guarded by this. */
    private boolean stallTimer;

    ResponseStream(
            HttpServerResponse response,
            Vertx vertx,
            String contentType,
            String cacheControl,
            Duration stallLimit,
            LongConsumer sentBytes,
            AtomicLong outstanding) {
        this.response = response;
        this.vertx = vertx;
        this.contentType = contentType;
        this.cacheControl = cacheControl;
        this.stallLimit = stallLimit;
        this.sentBytes = sentBytes;
        this.outstanding = outstanding;
        response.closeHandler(v -> clientGone());
        response.exceptionHandler(e -> clientGone());
    }

    private void clientGone() {
        Runnable resume;
        synchronized (this) {
            gone = true;
            resume = unpark();
        }
        if (resume != null) {
            resume.run();
        }
    }

    /** Takes the parked continuation, if any, to be run outside the lock; caller holds this. */
    private Runnable unpark() {
        Runnable resume = parked;
        parked = null;
        return resume;
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

    /**
     * Hands a chunk to the response. Never blocks: the chunk must fit in the window, as the first one does and as one of
     * at most the length a {@link #whenRoom} continuation was called for does (the one writer's bytes in flight only
     * shrink meanwhile); one that does not is refused (IllegalStateException), not queued past the window.
     */
    @Override
    public void write(byte[] chunk) throws IOException {
        if (gone || response.closed()) {
            throw new IOException("client closed the connection");
        }
        int length = chunk.length;
        synchronized (this) {
            if (!fits(length)) {
                throw new IllegalStateException(
                        length + " bytes written with " + inFlight + " in flight: wait for room with whenRoom");
            }
            inFlight += length;
        }
        outstanding.addAndGet(length);
        Future<Void> written;
        try {
            // wrapped, not copied (Buffer.buffer(byte[]) copies): the array is the response's (ClientStream#write)
            written = response.write(Buffer.buffer(Unpooled.wrappedBuffer(chunk)));
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
        Runnable resume = null;
        synchronized (this) {
            inFlight -= length;
            lastProgress = System.nanoTime();
            if (!succeeded) {
                gone = true;
            }
            if (parked != null && (gone || fits(parkedLength))) {
                resume = unpark();
            }
        }
        if (resume != null) {
            resume.run(); // on the event loop: the continuation only hands the next step to a thread
        }
    }

    /** Whether length more bytes fit in the window now; caller holds this. */
    private boolean fits(int length) {
        return inFlight == 0 || inFlight + length <= WINDOW;
    }

    /**
     * Runs {@code next} once {@code length} more bytes fit in the window, or once the client is gone ({@link #gone()}
     * then true: it closed the connection, a write failed, or it read nothing for the stall limit). Never blocks: it
     * runs on this thread at once when they fit now, else later on the event loop, from the write completion that
     * makes room, the connection's close, or a timer that finds the client stalled. {@code next} runs exactly once,
     * and should only hand the next step to a thread. Then {@link #write} of at most {@code length} bytes has
     * room. One writer at a time: a stream has at most one continuation waiting.
     */
    @Override
    public void whenRoom(int length, Runnable next) {
        boolean arm;
        synchronized (this) {
            if (parked != null) {
                throw new IllegalStateException("a continuation is already waiting for room");
            }
            if (!gone && !fits(length)) {
                parked = next;
                parkedLength = length;
                lastProgress = System.nanoTime();
                arm = !stallTimer;
                stallTimer = true;
                next = null;
            } else {
                arm = false;
            }
        }
        if (next != null) {
            next.run();
        } else if (arm) {
            watchForStall(stallLimit.toMillis());
        }
    }

    /**
     * One timer per stream while a continuation is parked: a client that read nothing for the stall limit is gone
     * (the continuation runs and finds it so); one still reading gets the timer again for what is left.
     */
    private void watchForStall(long millis) {
        vertx.setTimer(Math.max(1, millis), id -> {
            Runnable resume = null;
            long again = -1;
            synchronized (this) {
                if (parked == null) {
                    stallTimer = false; // resumed meanwhile: the next park arms a timer of its own
                } else {
                    long idle = System.nanoTime() - lastProgress;
                    long left = stallLimit.toNanos() - idle;
                    if (left <= 0) {
                        gone = true;
                        stallTimer = false;
                        resume = unpark();
                    } else {
                        again = TimeUnit.NANOSECONDS.toMillis(left) + 1;
                    }
                }
            }
            if (resume != null) {
                resume.run();
            } else if (again > 0) {
                watchForStall(again);
            }
        });
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
