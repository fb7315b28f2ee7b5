package dev.modproxy.proxy.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.modproxy.contract.Redacted;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.jboss.logging.Logger;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Objects in an S3-compatible bucket under a prefix, shared by every replica pointed at it. Bytes
 * are staged in a local file and sent in one PutObject, so an object appears only when complete
 * (a crash mid-upload leaves nothing). A lookup is one GetObject: a small object arrives whole with
 * it, a larger one hands its body to the first reader (no zero-copy here).
 *
 * <p>Each upload carries the SHA-256 of its bytes as user metadata ({@link #SHA256_METADATA}), and a read of a
 * whole object checks it: an object altered or truncated in the bucket behind the proxy's back is not served. A
 * small one is a miss (the upstream's copy is stored in its place); a large one, found out as its last bytes
 * arrive, fails the read before they go out and is removed, so the next request fetches it again. An object
 * without the hash (stored by an earlier version, or put there by another tool) is served as it is.
 */
public final class S3Storage implements Storage, AutoCloseable {

    /** Where the bucket is; {@code endpoint} empty means AWS itself. */
    public record Settings(Optional<URI> endpoint, String bucket, String prefix, String region, boolean pathStyle) {
        public Settings {
            if (bucket == null || bucket.isBlank()) {
                throw new IllegalArgumentException("MODPROXY_S3_BUCKET is required when MODPROXY_STORAGE_TYPE=s3");
            }
            prefix = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
        }

        String objectName(StorageKey key) {
            return prefix.isEmpty() ? key.value() : prefix + "/" + key.value();
        }
    }

    /**
     * One attempt of a lookup, head, list page or delete: the SDK's own defaults (30 s socket timeout,
     * 4 attempts, no overall limit) let a hung bucket hold a request for about two minutes, past the
     * clients' 60 s idle timeout, so they were cut without a status.
     */
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
    /** All attempts of one such call together: well under the client-facing 60 s. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(25);
    /** An upload gets this much plus {@link #UPLOAD_SECONDS_PER_MIB} per MiB of its size, per attempt. */
    static final Duration UPLOAD_BASE_TIMEOUT = Duration.ofSeconds(30);
    /** 1 MiB/s to the bucket at worst: a 500 MiB zip may take 8.5 minutes per attempt. */
    static final long UPLOAD_SECONDS_PER_MIB = 1;

    /**
     * The readiness probe's HeadBucket, all attempts: under the 2 s a kubelet waits for the probe (the operator's
     * timeoutSeconds). With {@link #CALL_TIMEOUT} a hung bucket held each probe 25 s until the circuit opened, and
     * once per cool-down after, so every replica on the bucket failed its probes at once. Running out of it is a
     * {@link ProbeTimeoutException}, which the circuit breaker does not count: a slow bucket may miss it too. The probe
     * waits for its call this long and no longer ({@link #prober}): the SDK's own timeouts, set to it as well, cannot cut
     * a TCP connect short.
     */
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(1500);

    /** Bodies up to this size are read in the lookup itself: no open connection is handed out. */
    static final int READ_AT_ONCE = 64 * 1024;

    /** Object names whose size this replica last saw ({@link #knownSizes}); a cold build touches far fewer at once. */
    static final int KNOWN_SIZES = 4096;

    /** The user metadata ({@code x-amz-meta-modproxy-sha256}) holding the hex SHA-256 of the bytes uploaded. */
    static final String SHA256_METADATA = "modproxy-sha256";

    /**
     * The user metadata ({@code x-amz-meta-modproxy-writer}) naming the storage that uploaded the object: an id drawn
     * at each start ({@link #writer}), so that a replica tells its own uploads from another's ({@link #inFigures}).
     */
    static final String WRITER_METADATA = "modproxy-writer";

    /**
     * How far the bucket's clock may be from this replica's for {@link #inFigures} to hold. AWS refuses a request signed
     * more than 15 minutes from its own clock ({@code RequestTimeTooSkewed}), so a replica that can use the bucket at
     * all is within that of it.
     */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(15);

    private static final Logger LOG = Logger.getLogger(S3Storage.class);

    private final S3Client s3;
    private volatile boolean counted;
    /** This storage's uploads, as their {@link #WRITER_METADATA} says: an id of this start, not of the host. */
    private final String writer = java.util.UUID.randomUUID().toString();
    /**
     * The objects modified less than {@link #CLOCK_SKEW} before the listing at start began, or during it, that it
     * counted: which ones of that age it saw depends on when it passed them. Older objects it saw all. Small: the
     * writes of those minutes only.
     */
    private final java.util.Set<String> listedLate = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The listing's start, less {@link #CLOCK_SKEW}: an object modified before it was there to be listed. */
    private volatile Instant listedAllBefore;
    /** The last name the listing at start passed (it lists in name order); null before the first. */
    private volatile String listedUpTo;
    /** The listing at start ended and its figures were added (false when it failed: they were not). */
    private volatile boolean listingAdded;

    private final Settings settings;
    /**
     * This process's own directory under the staging directory, which other proxies started with the same
     * MODPROXY_STORAGE_DIR share: a start removes only what processes that are gone left there.
     */
    private final ProcessStaging staging;

    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong entries = new AtomicLong();
    /**
     * The size of each object this replica last looked up or wrote, -1 when the lookup found none or one its figures
     * do not include ({@link #inFigures}: stored by another replica since the listing at start): an upload takes
     * the size it replaces from here rather than from a HeadObject of its own. Almost every upload follows a lookup
     * of the same key (the cache's miss, the checksum database's comparison), and with the bucket 100 ms away that
     * HEAD was a round trip per stored object. The sizes are for the counts alone (never for serving), which
     * follow this replica only: another replica's write since is missed, as it would be anyway.
     */
    private final Cache<String, Long> knownSizes =
            Caffeine.newBuilder().maximumSize(KNOWN_SIZES).build();

    private final List<RemovalListener> removalListeners = new CopyOnWriteArrayList<>();

    /**
     * Runs the readiness probe's HeadBucket (also the question a cut upload asks), one at a time: the probe waits for
     * it at most {@link #PROBE_TIMEOUT} whatever the call does. The SDK's own timeout cannot interrupt a TCP connect in
     * progress, so against an address that drops connections the call itself took 2.0 to 2.3 s (the HTTP client's 2 s
     * connection timeout).
     */
    private final ExecutorService prober = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "modproxy-bucket-probe");
        t.setDaemon(true);
        return t;
    });

    /** The probe's call last started ({@link #probeCall()}), null before the first. */
    private Future<?> probing;

    public S3Storage(Settings settings, AwsCredentialsProvider credentials, Path stagingDir) throws IOException {
        this(
                settings,
                credentials,
                stagingDir,
                ClientOverrideConfiguration.builder().build());
    }

    /** @param overrides e.g. an interceptor that counts the requests a test causes */
    S3Storage(
            Settings settings,
            AwsCredentialsProvider credentials,
            Path stagingDir,
            ClientOverrideConfiguration overrides)
            throws IOException {
        this.settings = settings;
        var timeouts = overrides.toBuilder();
        if (overrides.apiCallAttemptTimeout().isEmpty()) {
            timeouts.apiCallAttemptTimeout(ATTEMPT_TIMEOUT);
        }
        if (overrides.apiCallTimeout().isEmpty()) {
            timeouts.apiCallTimeout(CALL_TIMEOUT);
        }
        var builder = S3Client.builder()
                .overrideConfiguration(timeouts.build())
                .httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                // only when required: several S3-compatible servers reject the newer default checksum trailers
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        settings.endpoint().ifPresent(builder::endpointOverride);
        this.s3 = builder.build();
        Files.createDirectories(stagingDir);
        this.staging = new ProcessStaging(stagingDir);
        // counted after the ports open, as on local disk: a bucket of a million objects takes minutes to list,
        // and an unreachable one must not stop the proxy from serving through the pass-through
        Thread counter = new Thread(this::countInBackground, "modproxy-size-accounting");
        counter.setDaemon(true);
        counter.start();
    }

    private void countInBackground() {
        long start = System.nanoTime();
        try {
            listedAllBefore = Instant.now().minus(CLOCK_SKEW);
            Tally listed = tally();
            // added, not set: this replica's writes during the listing are counted already (an object written
            // while it was listed may count twice; the figures follow this replica only, see the README)
            bytes.addAndGet(listed.bytes());
            entries.addAndGet(listed.objects());
            listingAdded = true;
            LOG.infof(
                    "storage %s accounted: %d objects, %d bytes, in %d ms",
                    describe(), listed.objects(), listed.bytes(), (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            LOG.errorf(
                    "cannot list %s (%s): check MODPROXY_S3_ENDPOINT, MODPROXY_S3_BUCKET, MODPROXY_S3_REGION and the"
                            + " bucket's credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); modules are served"
                            + " from the upstream without caching while the bucket cannot be read",
                    describe(), oneLine(e));
        } finally {
            counted = true;
        }
    }

    private static String oneLine(Exception e) {
        String message = String.valueOf(e.getMessage());
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }

    @Override
    public boolean usageCounted() {
        return counted;
    }

    private record Tally(long objects, long bytes) {}

    /** Lists the bucket under the prefix and adds up what is there. */
    private Tally tally() throws IOException {
        long b = 0;
        long n = 0;
        try (Stream<StorageEntry> all = entries()) {
            for (StorageEntry e : (Iterable<StorageEntry>) all::iterator) {
                b += e.size();
                n++;
                String name = settings.objectName(e.key());
                if (!e.lastModified().isBefore(listedAllBefore)) {
                    listedLate.add(name);
                }
                listedUpTo = name;
            }
        }
        return new Tally(n, b);
    }

    /**
     * Whether this replica's figures ({@link #usage()}) include the object now under the name: the listing at start
     * counted it, or this replica uploaded it. Another replica's upload since this one listed the bucket is in no
     * figure of this one, and a delete or an upload over it must not take it out of them: the figures were clamped at
     * zero and lost this replica's own writes. Asked of what a GetObject or HeadObject answered, never of a listing.
     *
     * <p>Counted at start: modified {@link #CLOCK_SKEW} before the listing began (it was there to be listed) and
     * already passed by it, or among those of later date that it did list ({@link #listedLate}). An object another
     * replica replaced since is neither, though the listing counted the one it replaced: this replica's figures keep
     * that one's size until it uploads the name again (an overcount rather than an undercount; README).
     */
    private boolean inFigures(String name, Instant lastModified, Map<String, String> metadata) {
        if (writer.equals(metadataValue(metadata, WRITER_METADATA)) || listedLate.contains(name)) {
            return true;
        }
        Instant before = listedAllBefore;
        if (before == null || lastModified == null || !lastModified.isBefore(before)) {
            return false;
        }
        if (counted) {
            return listingAdded;
        }
        String upTo = listedUpTo; // still listing: what it has passed is in the figures it adds at its end
        return upTo != null && name.compareTo(upTo) <= 0;
    }

    /** A hit is one GetObject, not HeadObject then GetObject: a missing key is its 404. */
    @Override
    public Optional<StoredObject> lookup(StorageKey key) throws IOException {
        String name = settings.objectName(key);
        Optional<ResponseInputStream<GetObjectResponse>> found = unlessMissing(
                name,
                () -> s3.getObject(r -> r.bucket(settings.bucket()).key(name), ResponseTransformer.toInputStream()));
        if (found.isEmpty()) {
            knownSizes.put(name, -1L);
            return Optional.empty();
        }
        ResponseInputStream<GetObjectResponse> body = found.get();
        GetObjectResponse head = body.response();
        Instant modified = head.lastModified() == null ? Instant.EPOCH : head.lastModified();
        long size = head.contentLength();
        knownSizes.put(name, inFigures(name, head.lastModified(), head.metadata()) ? size : -1L);
        if (size <= READ_AT_ONCE) {
            byte[] content;
            try (body) {
                content = body.readNBytes((int) size + 1);
                if (content.length != size) {
                    throw new IOException("got " + content.length + " of " + size + " bytes");
                }
            } catch (IOException | SdkException e) {
                throw failure("read", name, e);
            }
            String expected = storedHash(head);
            if (expected != null && !expected.equalsIgnoreCase(hex(sha256().digest(content)))) {
                // a miss: the fetch that follows uploads the upstream's copy over it
                throw altered(name, size, "");
            }
            return Optional.of(StoredObject.ofBytes(key, content, modified));
        }
        FirstBody opener = new FirstBody(body, key, name);
        return Optional.of(StoredObject.ofStream(key, size, modified, opener).withRelease(opener::discard));
    }

    /** An object this proxy just uploaded: each open is a new GetObject, ranged for a range request. */
    private final class Reopened implements StoredObject.Opener {
        private final StorageKey key;
        private final String name;

        Reopened(StorageKey key, String name) {
            this.key = key;
            this.name = name;
        }

        @Override
        public InputStream open() throws IOException {
            return verified(S3Storage.this.open(name, 0), key, name);
        }

        @Override
        public InputStream open(long offset) throws IOException {
            return offset == 0 ? open() : S3Storage.this.open(name, offset);
        }
    }

    /** Hands out the lookup's own body once; any later open (another waiter) starts a new GetObject. */
    private final class FirstBody implements StoredObject.Opener {
        private final AtomicReference<ResponseInputStream<GetObjectResponse>> unread;
        private final StorageKey key;
        private final String name;

        FirstBody(ResponseInputStream<GetObjectResponse> body, StorageKey key, String name) {
            this.unread = new AtomicReference<>(body);
            this.key = key;
            this.name = name;
        }

        @Override
        public InputStream open() throws IOException {
            ResponseInputStream<GetObjectResponse> first = unread.getAndSet(null);
            return verified(first != null ? first : S3Storage.this.open(name, 0), key, name);
        }

        /** A range past the start: a ranged GetObject, rather than the lookup's body read and thrown away up to it. */
        @Override
        public InputStream open(long offset) throws IOException {
            discard();
            return S3Storage.this.open(name, offset);
        }

        /** Nobody read it: drop the connection rather than download the rest. */
        void discard() {
            ResponseInputStream<GetObjectResponse> left = unread.getAndSet(null);
            if (left != null) {
                left.abort();
            }
        }
    }

    /** The object's size as this replica's figures include it: -1 when absent or in none of them ({@link #inFigures}). */
    private long sizeOf(String name) throws IOException {
        return unlessMissing(
                        name,
                        () -> s3.headObject(r -> r.bucket(settings.bucket()).key(name)))
                .filter(head -> inFigures(name, head.lastModified(), head.metadata()))
                .map(HeadObjectResponse::contentLength)
                .orElse(-1L);
    }

    /** The answer to a request about one object, or empty when the bucket has no such key (404). */
    private <T> Optional<T> unlessMissing(String name, Supplier<T> request) throws IOException {
        try {
            return Optional.of(request.get());
        } catch (S3Exception e) {
            if (e instanceof NoSuchKeyException || (e.statusCode() == 404 && !noSuchBucket(e))) {
                return Optional.empty();
            }
            throw failure("look up", name, e);
        } catch (SdkException e) {
            throw failure("look up", name, e);
        }
    }

    /**
     * The whole object's stream, checked against the hash stored with it as it is read; the stream itself when
     * it has none.
     */
    private InputStream verified(ResponseInputStream<GetObjectResponse> body, StorageKey key, String name) {
        String expected = storedHash(body.response());
        if (expected == null) {
            return body;
        }
        return new VerifyingStream(
                body, body.response().contentLength(), expected, body.response().eTag(), key, name);
    }

    /**
     * The hash uploaded with the object, or null. Looked up ignoring case: header names are case-insensitive, and the
     * SDK strips {@code x-amz-meta-} whatever its case but keeps the rest as the server sent it, so a server or front
     * written in Go (older MinIO, any net/http reverse proxy) gives {@code Modproxy-Sha256}; an exact lookup missed it
     * and served an altered object as one without a hash.
     */
    static String storedHash(GetObjectResponse response) {
        return metadataValue(response.metadata(), SHA256_METADATA);
    }

    /** A user metadata value, its name looked up ignoring case ({@link #storedHash}); null when absent. */
    private static String metadataValue(Map<String, String> metadata, String key) {
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (key.equalsIgnoreCase(e.getKey())) {
                return e.getValue();
            }
        }
        return null;
    }

    /**
     * Digests what it hands out and, when the object's last byte is read, compares: on a mismatch those last bytes
     * are withheld (the client's download fails rather than completing with the wrong bytes) and the object is
     * removed from the bucket, so that the next request fetches it from the upstream again.
     */
    private final class VerifyingStream extends FilterInputStream {
        private final MessageDigest digest = sha256();
        private final long size;
        private final String expected;
        /** The object read: the one removed when damaged, not another stored since under its name. */
        private final String etag;

        private final StorageKey key;
        private final String name;
        private long read;

        VerifyingStream(InputStream in, long size, String expected, String etag, StorageKey key, String name) {
            super(in);
            this.size = size;
            this.expected = expected;
            this.etag = etag;
            this.key = key;
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
                long before = read;
                read += n;
                if (before < size && read >= size) {
                    check();
                }
            }
            return n;
        }

        /** Read, not skipped: every byte counts for the hash. */
        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(n, 8192)];
            long skipped = 0;
            while (skipped < n) {
                int got = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                if (got < 0) {
                    break;
                }
                skipped += got;
            }
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        private void check() throws IOException {
            if (read == size && expected.equalsIgnoreCase(hex(digest.digest()))) {
                return;
            }
            String outcome;
            try {
                // a slow reader's check may come after another replica stored a good copy: that one stays
                outcome = delete(key, etag)
                        ? ": removed from the bucket, the next request fetches it again"
                        : ": already replaced or removed in the bucket";
            } catch (IOException | RuntimeException e) {
                outcome = "; cannot remove it (" + e.getMessage() + ")";
            }
            throw altered(name, size, outcome);
        }
    }

    private UnusableEntryException altered(String name, long size, String outcome) {
        return new UnusableEntryException(
                "s3://" + settings.bucket() + "/" + name,
                "does not hold the bytes this proxy stored (" + size + " bytes whose SHA-256 is not the "
                        + SHA256_METADATA + " uploaded with them: altered or truncated in the bucket)" + outcome,
                true);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /**
     * A 404 that is about the bucket, not the key (a GetObject's error says which; a HeadObject's has no body): a
     * bucket deleted while the proxy serves is a refusal to count and log, not every object missing.
     */
    private static boolean noSuchBucket(S3Exception e) {
        return e instanceof NoSuchBucketException
                || (e.awsErrorDetails() != null
                        && "NoSuchBucket".equals(e.awsErrorDetails().errorCode()));
    }

    /** The object's bytes from offset on. */
    private ResponseInputStream<GetObjectResponse> open(String name, long offset) throws IOException {
        try {
            return s3.getObject(
                    r -> r.bucket(settings.bucket()).key(name).range(offset == 0 ? null : "bytes=" + offset + "-"),
                    ResponseTransformer.toInputStream());
        } catch (SdkException e) {
            throw failure("read", name, e);
        }
    }

    @Override
    public StorageWriter openWriter(StorageKey key) throws IOException {
        Path staged = staging.newFile("put-", ".part");
        return new Writer(key, staged);
    }

    @Override
    public boolean delete(StorageKey key) throws IOException {
        return delete(key, null);
    }

    /**
     * Deletes the object if it is still the one whose ETag is given (whatever is there when null). The HeadObject
     * that compares is a separate call: an upload between it and the delete is still lost (a conditional delete is
     * not one every S3-compatible server has).
     */
    private boolean delete(StorageKey key, String etag) throws IOException {
        String name = settings.objectName(key);
        // asked, not taken from knownSizes: another replica may have written the object since this one saw it absent
        knownSizes.invalidate(name);
        Optional<HeadObjectResponse> found = unlessMissing(
                name, () -> s3.headObject(r -> r.bucket(settings.bucket()).key(name)));
        if (found.isEmpty() || (etag != null && !etag.equals(found.get().eTag()))) {
            return false;
        }
        long size = found.get().contentLength();
        boolean inFigures =
                inFigures(name, found.get().lastModified(), found.get().metadata());
        try {
            s3.deleteObject(r -> r.bucket(settings.bucket()).key(name));
        } catch (SdkException e) {
            throw failure("delete", name, e);
        }
        if (inFigures) { // another replica's upload since this one listed the bucket was never in its figures
            listedLate.remove(name); // out of them now: another replica's upload under the name is not
            bytes.addAndGet(-size);
            entries.decrementAndGet();
        }
        removalListeners.forEach(l -> l.removed(key));
        return true;
    }

    @Override
    public void addRemovalListener(RemovalListener listener) {
        removalListeners.add(listener);
    }

    @Override
    public Stream<StorageEntry> entries() throws IOException {
        String listPrefix = settings.prefix().isEmpty() ? "" : settings.prefix() + "/";
        try {
            return s3.listObjectsV2Paginator(r -> r.bucket(settings.bucket()).prefix(listPrefix)).contents().stream()
                    .map(o -> entry(o, listPrefix))
                    .filter(Objects::nonNull);
        } catch (SdkException e) {
            throw failure("list", "the objects", e); // describe() names the bucket and its prefix
        }
    }

    private static StorageEntry entry(S3Object object, String listPrefix) {
        try {
            return new StorageEntry(
                    new StorageKey(object.key().substring(listPrefix.length())), object.size(), object.lastModified());
        } catch (IllegalArgumentException e) {
            return null; // an object someone else put in the bucket: not ours to list
        }
    }

    @Override
    public StorageUsage usage() {
        return new StorageUsage(bytes.get(), entries.get());
    }

    @Override
    public void probeWritable() throws IOException {
        try {
            Files.delete(staging.newFile("probe-", ".tmp"));
        } catch (IOException e) {
            // the local volume, not the bucket: uploads are staged here first, so none can be made
            throw new LocalStagingException(
                    "cannot stage uploads to " + describe() + ": the local staging directory " + staging.directory()
                            + " cannot take a file (" + e + ")",
                    e);
        }
        Future<?> call = probeCall();
        try {
            call.get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // the call goes on (a connect in progress cannot be cut short) and the next probe waits for it
            throw probeTimedOut(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while probing bucket " + settings.bucket());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (ranOutOfItsTime(cause)) {
                throw probeTimedOut((Exception) cause);
            }
            if (cause instanceof SdkException sdk) {
                throw failure("reach bucket", settings.bucket(), sdk);
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException(cause);
        }
    }

    /**
     * The probe's HeadBucket: the one still running when there is one, else a new one. A timed-out probe leaves its
     * call running (in a TCP connect, it outlives its own timeouts by up to the client's connection timeout), so probes
     * never pile up calls on a bucket that drops connections. Cut uploads ask the bucket through it too
     * ({@link #uploadCut}): all those cut while one call is out share its answer.
     */
    private synchronized Future<?> probeCall() throws IOException {
        Future<?> running = probing;
        if (running != null && !running.isDone()) {
            return running;
        }
        try {
            probing = prober.submit(() -> s3.headBucket(r -> r.bucket(settings.bucket())
                    .overrideConfiguration(
                            o -> o.apiCallAttemptTimeout(PROBE_TIMEOUT).apiCallTimeout(PROBE_TIMEOUT))));
        } catch (RejectedExecutionException e) {
            throw new IOException("storage " + describe() + " is closed", e);
        }
        return probing;
    }

    /** The probe's call ended by its own timeouts (PROBE_TIMEOUT), which is the probe's bound, as the wait's is. */
    private static boolean ranOutOfItsTime(Throwable cause) {
        return cause instanceof ApiCallTimeoutException || cause instanceof ApiCallAttemptTimeoutException;
    }

    private ProbeTimeoutException probeTimedOut(Exception cause) {
        return new ProbeTimeoutException(
                "cannot reach bucket " + settings.bucket() + " in " + describe() + ": no answer within "
                        + PROBE_TIMEOUT.toMillis() + " ms",
                cause);
    }

    @Override
    public String describe() {
        return "s3://" + settings.bucket() + "/" + settings.prefix()
                // a login written into the endpoint must not reach logs and the readiness check's data
                + settings.endpoint()
                        .map(u -> " at " + Redacted.url(u.toString()))
                        .orElse("");
    }

    @Override
    public void close() {
        prober.shutdownNow();
        s3.close();
    }

    /** Long enough for a large zip over a slow link; a hung bucket still fails the upload in bounded time. */
    static Duration uploadAttemptTimeout(long size) {
        return UPLOAD_BASE_TIMEOUT.plusSeconds(UPLOAD_SECONDS_PER_MIB * (size >> 20));
    }

    private IOException failure(String action, String name, Exception e) {
        String message = "cannot " + action + " " + name + " in " + describe() + ": " + answerOf(e) + e.getMessage();
        return refusal(e) ? new StorageRefusedException(message, e) : new IOException(message, e);
    }

    /**
     * The bucket's own answer, as a platform engineer searches the log and the storage service's documentation for it:
     * its error code and HTTP status ({@code NoSuchBucket (HTTP 404): }), which the SDK's message leaves out (it gives
     * the service's prose and the status only). Empty when the bucket gave no answer (a timeout, a connection cut).
     */
    private static String answerOf(Exception e) {
        if (!(e instanceof SdkServiceException service)) {
            return "";
        }
        String code = service instanceof AwsServiceException aws && aws.awsErrorDetails() != null
                ? aws.awsErrorDetails().errorCode()
                : null;
        String status = "HTTP " + service.statusCode();
        return (code == null || code.isBlank() ? status : code + " (" + status + ")") + ": ";
    }

    /**
     * An upload that failed without an answer from the bucket, told apart by asking the bucket (HeadBucket, no body):
     * a bucket that refuses an upload (403 Access Denied, 404 NoSuchBucket) answers as soon as it has read the
     * headers and closes the connection with the body unread. The JDK's HTTP client reads that answer only while it
     * waits for a 100 Continue, and for 5 seconds at most; when it is sending the body by then (the answer came later,
     * the server sent 100 Continue first, or ignores the Expect) it reports "Error writing request body to server" and
     * the SDK sends the upload again, 4 attempts in all. A bucket that answers the HeadBucket (200, or a 4xx) is up:
     * the upload is a {@link StorageRefusedException}, which does not count towards opening the circuit and so does
     * not cut off the hits of a bucket that only refuses uploads. One that does not answer it either is a failure.
     * A timeout or a connection not made is a failure at once: asking again would only wait as long again.
     *
     * <p>The question is the readiness probe's own call ({@link #probeCall()}), waited for as long: a build pulling
     * 100 modules at a bucket that refuses uploads asks it about once while a call is out rather than once per upload,
     * and a bucket that stops answering fails the upload after {@link #PROBE_TIMEOUT}, not after the SDK's 25 s.
     *
     * <p>The SDK's 4 attempts are left alone: the JDK reports the cut as an IOException without a cause, told apart
     * only by its message, and a streamed PUT sent on a pooled connection the bucket had closed while idle (the JDK
     * checks a pooled connection first only for a POST) fails the same way, which the next attempt, on a new
     * connection, rescues.
     */
    private IOException uploadCut(String name, SdkClientException e) {
        if (!connected(e)) {
            return failure("upload", name, e);
        }
        String answer;
        try {
            probeCall().get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            answer = "it answers a HeadBucket (200)";
        } catch (ExecutionException asked) {
            Throwable cause = asked.getCause();
            if (ranOutOfItsTime(cause)) {
                // the probe's call ran out of its own time first (it started before this upload was cut): the same
                // bound as the wait below, and the same answer, as probeWritable gives it
                e.addSuppressed(probeTimedOut((Exception) cause));
                return failure("upload", name, e);
            }
            if (!(cause instanceof SdkServiceException headRefused) || !refusal(headRefused)) {
                e.addSuppressed(cause);
                return failure("upload", name, e);
            }
            answer = "it refuses a HeadBucket (" + answerOf(headRefused) + oneLine(headRefused) + ")";
        } catch (TimeoutException notAnswered) {
            e.addSuppressed(probeTimedOut(notAnswered));
            return failure("upload", name, e);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            e.addSuppressed(interrupted);
            return failure("upload", name, e);
        } catch (IOException closed) {
            e.addSuppressed(closed);
            return failure("upload", name, e);
        }
        return new StorageRefusedException(
                "cannot upload " + name + " in " + describe() + ": the bucket closed the connection while the upload"
                        + " was sent (" + oneLine(e) + ") and " + answer + ": it is up; a refusal it answered before"
                        + " reading the body (Access Denied, NoSuchBucket) does not reach the proxy's HTTP client",
                e);
    }

    /** The failure came after the connection was made and before any timeout: the bucket's end closed it. */
    private static boolean connected(SdkClientException e) {
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
            return false;
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException
                    || cause instanceof UnknownHostException
                    || cause instanceof InterruptedIOException) { // SocketTimeoutException among them
                return false;
            }
        }
        return e.getCause() instanceof IOException;
    }

    /**
     * The bucket answered with a 4xx (access denied, no such bucket): it is up, and the call's failure says nothing
     * about the next one's. A timeout (408) and throttling (429) are the bucket struggling, as 5xx and no answer are.
     */
    private static boolean refusal(Exception e) {
        return e instanceof SdkServiceException service
                && service.statusCode() >= 400
                && service.statusCode() < 500
                && service.statusCode() != 408
                && service.statusCode() != 429;
    }

    private final class Writer extends StagedWriter {
        private final StorageKey key;

        Writer(StorageKey key, Path staged) throws IOException {
            super(staged, false, false); // the upload makes it durable; hits come from the bucket
            this.key = key;
        }

        @Override
        StoredObject publish(Path staged, long size) throws IOException {
            String name = settings.objectName(key);
            // a PUT replaces whatever is there, as a rename does on disk: the only question is what the counts lose,
            // which is only what they hold (another replica's upload since the listing is in none: a new entry here)
            Long known = knownSizes.getIfPresent(name);
            long replaced = known != null ? known : sizeOf(name);
            // an answer served right after it is stored is read from the staged file, not fetched back
            byte[] small = size <= READ_AT_ONCE ? Files.readAllBytes(staged) : null;
            String hash = hex(small != null ? sha256().digest(small) : digestOf(staged));
            try {
                Duration attempt = uploadAttemptTimeout(size);
                s3.putObject(
                        r -> r.bucket(settings.bucket())
                                .key(name)
                                .contentLength(size)
                                .metadata(Map.of(SHA256_METADATA, hash, WRITER_METADATA, writer))
                                .overrideConfiguration(
                                        o -> o.apiCallAttemptTimeout(attempt).apiCallTimeout(attempt.multipliedBy(2))),
                        RequestBody.fromFile(staged));
            } catch (SdkClientException e) {
                throw uploadCut(name, e);
            } catch (SdkException | UncheckedIOException e) {
                throw failure("upload", name, e);
            }
            try {
                Files.deleteIfExists(staged);
            } catch (IOException e) {
                // uploaded all the same; a start after this process is gone removes it
            }
            knownSizes.put(name, size);
            if (replaced < 0) {
                entries.incrementAndGet();
            }
            bytes.addAndGet(size - Math.max(0, replaced));
            Instant now = Instant.now();
            return small != null
                    ? StoredObject.ofBytes(key, small, now)
                    : StoredObject.ofStream(key, size, now, new Reopened(key, name));
        }

        private static byte[] digestOf(Path file) throws IOException {
            MessageDigest digest = sha256();
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                }
            }
            return digest.digest();
        }
    }
}
