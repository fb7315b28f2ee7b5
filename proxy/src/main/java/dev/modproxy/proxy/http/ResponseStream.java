package dev.modproxy.proxy.http;

import dev.modproxy.proxy.cache.ClientStream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * Writes a download to a Vert.x response from a worker thread, waiting for the write queue to
 * drain so a slow client gets backpressure instead of unbounded buffering.
 */
final class ResponseStream implements ClientStream {

    private final HttpServerResponse response;
    private final String contentType;
    private final String cacheControl;
    private final Duration stallLimit;
    private final LongConsumer sentBytes;
    private volatile boolean gone;
    private volatile CompletableFuture<Void> drained;

    ResponseStream(
            HttpServerResponse response,
            String contentType,
            String cacheControl,
            Duration stallLimit,
            LongConsumer sentBytes) {
        this.response = response;
        this.contentType = contentType;
        this.cacheControl = cacheControl;
        this.stallLimit = stallLimit;
        this.sentBytes = sentBytes;
        response.closeHandler(v -> clientGone());
        response.exceptionHandler(e -> clientGone());
    }

    private void clientGone() {
        gone = true;
        CompletableFuture<Void> waiting = drained;
        if (waiting != null) {
            waiting.completeExceptionally(new IOException("client closed the connection"));
        }
    }

    boolean started() {
        return response.headWritten();
    }

    @Override
    public void begin(long contentLength) throws IOException {
        if (gone) {
            throw new IOException("client closed the connection");
        }
        response.setStatusCode(200).putHeader("Content-Type", contentType).putHeader("Cache-Control", cacheControl);
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
        response.write(Buffer.buffer(chunk));
        sentBytes.accept(chunk.length);
        if (response.writeQueueFull()) {
            CompletableFuture<Void> wait = new CompletableFuture<>();
            drained = wait;
            response.drainHandler(v -> wait.complete(null));
            if (!response.writeQueueFull() || gone) {
                wait.complete(null);
            }
            try {
                wait.get(stallLimit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the client was slow");
            } catch (ExecutionException | TimeoutException e) {
                gone = true;
                throw new IOException("client stopped reading");
            } finally {
                drained = null;
            }
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
        gone = true;
        response.reset();
    }
}
