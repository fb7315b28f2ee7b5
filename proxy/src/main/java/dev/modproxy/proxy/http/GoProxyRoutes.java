package dev.modproxy.proxy.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.modproxy.proxy.cache.BoundedThreads;
import dev.modproxy.proxy.cache.CacheAnswer;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.cache.PacedSender;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.protocol.GoErrorText;
import dev.modproxy.proxy.protocol.InvalidRequestException;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.protocol.RequestKind;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StoredObject;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The GOPROXY endpoints ({@code $module/@v/list}, {@code $module/@v/$version.info|.mod|.zip},
 * {@code $module/@latest}): what {@link RouteTable} leaves to it. Parsing happens on the event loop; storage
 * and upstream work on worker threads; cached local files go out with sendfile, a bucket's streams chunk by chunk
 * on a few threads of their own, none held while a client is slow.
 */
public final class GoProxyRoutes {

    private static final Logger LOG = Logger.getLogger(GoProxyRoutes.class);
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    /** Header values encoded once: a hit then copies their bytes instead of validating and encoding strings. */
    private static final CharSequence IMMUTABLE_HEADER = HttpHeaders.createOptimized(IMMUTABLE);
    /**
     * A mutable answer past its TTL (served while it is refreshed, or while every upstream fails) is stale already
     * (RFC 9111 4.2): a cache or client after this one must ask again instead of keeping it for another TTL. Not
     * no-cache: one that cannot reach this proxy may still use it, as this proxy uses it while it cannot reach its own.
     */
    private static final CharSequence STALE_HEADER = HttpHeaders.createOptimized("public, max-age=0");

    private static final CharSequence BYTES = HttpHeaders.createOptimized("bytes");

    /** Bytes read from a storage stream at a time. */
    private static final int CHUNK = 64 * 1024;

    /** Threads that read bucket hits' streams at most, all clients together (see {@link #storageSenders}). */
    static final int STORAGE_SENDERS = 16;

    private static final Map<RequestKind, CharSequence> CONTENT_TYPES = new EnumMap<>(RequestKind.class);

    static {
        for (RequestKind kind : RequestKind.values()) {
            CONTENT_TYPES.put(kind, HttpHeaders.createOptimized(kind.contentType()));
        }
    }
    /** Popular artifacts' paths, already parsed and validated (immutable requests only): a repeated hit skips the parser. */
    private static final int PARSED_PATHS = 4096;

    /** A request path that parsed into an immutable request, and the storage key it names. */
    private record Parsed(ProxyRequest request, StorageKey key) {}

    private final Cache<String, Parsed> parsedPaths = Caffeine.newBuilder()
            .maximumSize(PARSED_PATHS)
            .executor(Runnable::run)
            .build();
    private final Duration mutableTtl;
    private final CharSequence mutableCacheControl;

    private final ModuleCache cache;
    private final ProxyMetrics metrics;
    private final Duration negativeTtl;
    private final CharSequence negativeCacheControl;
    private final Duration stallLimit;
    /**
     * Threads that read a hit streamed from storage (a bucket), one chunk at a time, for every streamed response: at
     * most {@link #STORAGE_SENDERS}, idle ones ending after a minute. No thread waits for a slow client: a response
     * whose window is full asks for its next chunk only when its client has taken enough (a write completion on the
     * event loop), or when it has read nothing for the stall limit (then it is reset). Neither the shared worker
     * pool every cold miss, list and {@code @latest} starts on, nor a thread per slow reader.
     */
    private final ThreadPoolExecutor storageSenders;
    /** Streamed hits not yet finished: aborted when the routes close. */
    private final Set<StreamedHit> streaming = ConcurrentHashMap.newKeySet();
    /** Bytes written to streamed responses and not yet on their sockets, summed (modproxy_response_buffered_bytes). */
    private final AtomicLong streamed = new AtomicLong();

    public GoProxyRoutes(
            ModuleCache cache, ProxyMetrics metrics, Duration mutableTtl, Duration negativeTtl, Duration stallLimit) {
        this.cache = cache;
        this.metrics = metrics;
        this.negativeTtl = negativeTtl;
        this.negativeCacheControl = HttpHeaders.createOptimized("public, max-age=" + negativeTtl.toSeconds());
        this.stallLimit = stallLimit;
        this.mutableTtl = mutableTtl;
        this.mutableCacheControl = HttpHeaders.createOptimized("public, max-age=" + mutableTtl.toSeconds());
        metrics.watchResponseBuffers(streamed);
        storageSenders = BoundedThreads.pool("modproxy-storage-sender", STORAGE_SENDERS);
    }

    /**
     * Stops the storage senders: a streamed hit still going is cut off (its connection reset, its object released),
     * one not yet begun gets a 503. Their threads end.
     */
    public void close() {
        for (Runnable queued : storageSenders.shutdownNow()) {
            PacedSender.abandon(queued);
        }
        // a parked one finds its client gone and, its next step refused by the stopped pool, ends here
        for (StreamedHit hit : streaming) {
            hit.stream.abort();
        }
    }

    void handle(RoutingContext ctx) {
        String path = ctx.request().path();
        HttpMethod method = ctx.request().method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            ctx.response().putHeader("Allow", "GET, HEAD");
            refuse(ctx.response(), 405, "the GOPROXY protocol is read-only: use GET", "no-store");
            return;
        }
        // parsing is a pure function of the path: a path seen before gets the same validated request back
        Parsed parsed = parsedPaths.getIfPresent(path);
        ProxyRequest request;
        if (parsed != null) {
            request = parsed.request();
        } else {
            try {
                request = ProxyRequest.parse(path);
            } catch (InvalidRequestException e) {
                refuse(ctx.response(), e.status(), e.getMessage(), "no-store");
                return;
            }
            if (request.immutable()) {
                parsed = new Parsed(request, new StorageKey(request.relativePath()));
                parsedPaths.put(path, parsed);
            }
        }
        try {
            Optional<StoredObject> hit =
                    parsed != null ? cache.cheapHit(request, parsed.key()) : cache.cheapHit(request);
            if (hit.isPresent()) {
                sendObject(ctx, request, hit.get(), false); // immutable: never stale
                return;
            }
        } catch (IOException e) {
            LOG.debugf(e, "fast lookup of %s failed; trying the full path", path);
        }
        ResponseStream stream = responseStream(ctx, request, cacheControl(request, null, false)); // fresh
        ctx.vertx()
                .<CompletableFuture<CacheAnswer>>executeBlocking(() -> cache.answer(request, stream), false)
                .onComplete(ar -> {
                    if (ar.failed()) {
                        fail(ctx, stream, ar.cause());
                        return;
                    }
                    ar.result().whenComplete((answer, error) -> {
                        if (error != null) {
                            fail(ctx, stream, error);
                        } else {
                            respond(ctx, request, answer, stream);
                        }
                    });
                });
    }

    private void fail(RoutingContext ctx, ResponseStream stream, Throwable error) {
        LOG.warnf(error, "request %s failed", ctx.request().path());
        if (stream.started()) {
            stream.abort();
        } else {
            refuse(ctx.response(), 502, "cache error: " + error.getMessage(), "no-store");
        }
    }

    private void respond(RoutingContext ctx, ProxyRequest request, CacheAnswer answer, ResponseStream stream) {
        HttpServerResponse response = ctx.response();
        if (answer instanceof CacheAnswer.Refused refused) {
            boolean absent = refused.status() == 404 || refused.status() == 410;
            refuse(
                    response,
                    refused.status(),
                    refused.reason(),
                    absent
                            ? freshFor(refused.since(), negativeTtl, negativeCacheControl)
                                    .toString()
                            : "no-store");
        } else if (answer instanceof CacheAnswer.Hit hit) {
            sendObject(ctx, request, hit.object(), hit.stale());
        }
    }

    private HttpServerResponse withArtifactHeaders(
            HttpServerResponse response, ProxyRequest request, CharSequence cacheControl) {
        return response.putHeader(HttpHeaders.CONTENT_TYPE, CONTENT_TYPES.get(request.kind()))
                .putHeader(HttpHeaders.CACHE_CONTROL, cacheControl);
    }

    /**
     * The part of a cached immutable artifact a GET's {@code Range} asks for (a resumed download, a cache in front of
     * this one), or null for the whole. Lists and {@code @latest} change, so they are always sent whole; so is an
     * answer to a Range with {@code If-Range}: this proxy sends no validator (ETag, Last-Modified) that one could
     * match, and RFC 9110 13.1.5 then has the whole artifact sent.
     */
    private static ByteRange requestedRange(RoutingContext ctx, ProxyRequest request, long size) {
        if (!request.immutable()
                || ctx.request().method() != HttpMethod.GET
                || ctx.request().headers().contains(HttpHeaderNames.IF_RANGE)) {
            return null;
        }
        return ByteRange.of(ctx.request().getHeader(HttpHeaderNames.RANGE), size);
    }

    /** @param stale a mutable answer past its TTL ({@link CacheAnswer.Hit#stale()}) */
    private void sendObject(RoutingContext ctx, ProxyRequest request, StoredObject object, boolean stale) {
        HttpServerResponse response = ctx.response();
        CharSequence cacheControl = cacheControl(request, object, stale);
        if (request.immutable()) {
            response.putHeader(HttpHeaders.ACCEPT_RANGES, BYTES);
        }
        if (ctx.request().method() == HttpMethod.HEAD) {
            // a HEAD of a cached object tells its size, as the answer to a cold HEAD does
            withArtifactHeaders(response, request, cacheControl)
                    .putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(object.size()))
                    .end();
            object.release();
            return;
        }
        ByteRange range = requestedRange(ctx, request, object.size());
        if (range != null && !range.satisfiable()) {
            response.putHeader(HttpHeaders.CONTENT_RANGE, range.contentRange(object.size()));
            refuse(
                    response,
                    416,
                    "range not satisfiable: " + request.relativePath() + " is " + object.size() + " bytes",
                    "no-store");
            object.release();
            return;
        }
        long first = range == null ? 0 : range.first();
        long length = range == null ? object.size() : range.length();
        if (range != null) {
            response.setStatusCode(206).putHeader(HttpHeaders.CONTENT_RANGE, range.contentRange(object.size()));
        }
        Optional<ByteBuf> content = object.content();
        if (content.isPresent()) {
            // headers and body leave in one write, the body straight from the memory cache (no copy): no
            // file to open, no second send; the bytes are held until the write is done
            ByteBuf whole = content.get();
            ByteBuf body = range == null ? whole : whole.slice(whole.readerIndex() + (int) first, (int) length);
            withArtifactHeaders(response, request, cacheControl)
                    .putHeader(HttpHeaders.CONTENT_LENGTH, HttpHeaders.createOptimized(Long.toString(length)))
                    .end(Buffer.buffer(body))
                    .onComplete(ar -> {
                        object.release();
                        if (ar.succeeded()) {
                            metrics.served(request.kind(), length);
                        }
                    });
            return;
        }
        if (object.localFile().isPresent()) {
            Path file = object.localFile().get();
            withArtifactHeaders(response, request, cacheControl);
            response.sendFile(file.toString(), first, length).onComplete(ar -> {
                object.release();
                if (ar.succeeded()) {
                    metrics.served(request.kind(), length);
                } else if (!response.headWritten()) {
                    refuse(response, 503, "cached file vanished while being served; retry", "no-store");
                } else {
                    response.reset();
                }
            });
            return;
        }
        ResponseStream stream = responseStream(ctx, request, cacheControl);
        if (range != null) {
            stream.part(range, object.size());
        }
        StreamedHit hit = new StreamedHit(ctx, object, first, length, stream);
        streaming.add(hit);
        hit.start();
    }

    /**
     * Copies a stored object's stream (remote storage), or the {@code length} bytes of it from {@code first} on (a
     * range), to the response, one chunk per step of its {@link PacedSender} on a thread of {@link #storageSenders},
     * each step handed to the pool anew; after each chunk the next step waits, holding no thread, until the response's
     * window has room ({@link ResponseStream#whenRoom}). The stream's bytes are counted against what is due: a stream
     * that fails, ends early (a connection to the bucket cut) or runs on past the object's size resets the client's
     * connection at once, so the go command sees a failed download instead of waiting for bytes that will not come.
     * Whatever goes wrong, even an Error or a step the pool refuses (closed, or no thread to be had), the response is
     * ended (a 503 before any header went out, else reset) and the object released, once.
     */
    private final class StreamedHit implements PacedSender.Source {
        private final RoutingContext ctx;
        private final StoredObject object;
        private final long first;
        private final long length;
        final ResponseStream stream;
        private final PacedSender sender;
        private InputStream in;
        private long copied;

        StreamedHit(RoutingContext ctx, StoredObject object, long first, long length, ResponseStream stream) {
            this.ctx = ctx;
            this.object = object;
            this.first = first;
            this.length = length;
            this.stream = stream;
            this.sender = new PacedSender(stream, storageSenders, CHUNK, 1, this);
        }

        /** Hands the first step to a storage sender. */
        void start() {
            sender.wake();
        }

        /** Reads one chunk, or says how the copy ends. */
        @Override
        public PacedSender.Next next() throws IOException {
            if (in == null) {
                in = object.open(first);
                stream.begin(length);
            }
            if (stream.gone()) {
                throw new IOException("client closed the connection or stopped reading");
            }
            byte[] last = null;
            if (copied < length) {
                // a fresh array per chunk: the response owns it until written, and at most a window of them are
                byte[] chunk = in.readNBytes((int) Math.min(CHUNK, length - copied));
                if (chunk.length == 0) {
                    broken(false);
                    return PacedSender.Next.RESET;
                }
                copied += chunk.length;
                if (copied < length) {
                    return PacedSender.Next.slice(chunk); // does not block: the window had room for a chunk
                }
                last = chunk;
            }
            // a stream that goes on past the object's end is not the object stored: its last chunk is not sent
            if (first + length == object.size() && in.read() >= 0) {
                broken(true);
                return PacedSender.Next.RESET;
            }
            return last != null ? PacedSender.Next.last(last) : PacedSender.Next.END;
        }

        /** The connection is reset by the sender once this is said. */
        private void broken(boolean overlong) {
            metrics.storageReadFailed();
            LOG.warnf(
                    "%s: the storage's stream gave %s%d bytes of %d due (object of %d); connection reset",
                    ctx.request().path(), overlong ? "more than " : "", copied, length, object.size());
        }

        @Override
        public void failed(Throwable e) {
            if (stream.gone()) {
                LOG.debugf(
                        "%s: client went away after %d of %d bytes",
                        ctx.request().path(), copied, length);
                stream.abort();
                return;
            }
            metrics.storageReadFailed();
            LOG.warnf(
                    "%s: reading from storage failed after %d of %d bytes (%s); %s",
                    ctx.request().path(), copied, length, e, stream.started() ? "connection reset" : "answered 503");
            if (stream.started()) {
                stream.abort();
            } else {
                refuse(ctx.response(), 503, "cache storage read failed; retry", "no-store");
            }
        }

        @Override
        public boolean noThread(Throwable e) {
            LOG.warnf(
                    "%s: no storage sender to stream the bucket's object (%s); %s",
                    ctx.request().path(), e, stream.started() ? "connection reset" : "answered 503");
            abandoned();
            return false;
        }

        /** Ends the response without the rest of the object: 503 if nothing went out, else reset. */
        @Override
        public void abandoned() {
            if (stream.started()) {
                stream.abort();
            } else {
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                refuse(ctx.response(), 503, "no storage sender free to stream the cached object; retry", "no-store");
            }
        }

        /** Closes the object's stream and releases the object (once: its sender calls this once). */
        @Override
        public void over() {
            streaming.remove(this);
            try {
                if (in != null) {
                    in.close();
                }
            } catch (IOException | RuntimeException e) {
                LOG.debugf("%s: closing the storage's stream: %s", ctx.request().path(), e);
            } finally {
                object.release();
            }
        }
    }

    static void refuse(HttpServerResponse response, int status, String reason, String cacheControl) {
        if (response.headWritten() || response.ended()) {
            return;
        }
        if (status != 416) {
            // a part begun as a 206 whose storage then failed: the refusal is about no range
            response.headers().remove(HttpHeaders.CONTENT_RANGE);
        }
        // one line the go command shows whole: it shows nothing of a line past 648 bytes, nor of a body with a control
        Buffer body = Buffer.buffer(GoErrorText.body(reason));
        // set here, not left to Vert.x, which leaves it out of a HEAD: a HEAD gets the GET's headers without the body
        response.setStatusCode(status)
                .putHeader("Content-Type", "text/plain; charset=utf-8")
                .putHeader("Cache-Control", cacheControl)
                .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()))
                .end(body);
    }

    /** Streams an answer of the request's kind to the client, counted as served bytes of that kind. */
    private ResponseStream responseStream(RoutingContext ctx, ProxyRequest request, CharSequence cacheControl) {
        return new ResponseStream(
                ctx.response(),
                ctx.vertx(),
                request.kind().contentType(),
                cacheControl.toString(),
                stallLimit,
                n -> metrics.served(request.kind(), n),
                streamed);
    }

    /** @param stored the stored answer, or null for one just fetched */
    private CharSequence cacheControl(ProxyRequest request, StoredObject stored, boolean stale) {
        if (request.immutable()) {
            return IMMUTABLE_HEADER;
        }
        if (stale) {
            return STALE_HEADER;
        }
        return stored == null ? mutableCacheControl : freshFor(stored.lastModified(), mutableTtl, mutableCacheControl);
    }

    /**
     * A mutable answer, or a remembered absence, may be kept for what is left of its TTL: a list stored four minutes
     * ago is fresh for one more minute, not another five, in a cache after the proxy; one past its TTL (a 404 that
     * stands in while every upstream fails) for none.
     *
     * @param whole the header for the whole TTL, which an answer just stored or told gets
     */
    private static CharSequence freshFor(Instant since, Duration ttl, CharSequence whole) {
        long ageMillis = Math.max(0, Duration.between(since, Instant.now()).toMillis());
        long leftSeconds = Math.max(0, (ttl.toMillis() - ageMillis + 999) / 1000);
        return leftSeconds >= ttl.toSeconds() ? whole : "public, max-age=" + leftSeconds;
    }
}
