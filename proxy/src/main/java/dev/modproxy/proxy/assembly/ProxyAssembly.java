package dev.modproxy.proxy.assembly;

import dev.modproxy.contract.ByteSize;
import dev.modproxy.contract.GoSumDb;
import dev.modproxy.contract.ModulePathPatterns;
import dev.modproxy.contract.Redacted;
import dev.modproxy.contract.SettingValueRule;
import dev.modproxy.proxy.cache.AnswerChecks;
import dev.modproxy.proxy.cache.ArtifactVerifier;
import dev.modproxy.proxy.cache.CacheSettings;
import dev.modproxy.proxy.cache.MemoryCache;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.eviction.BoundedDiskStorage;
import dev.modproxy.proxy.eviction.VolumeSpace;
import dev.modproxy.proxy.eviction.Watermarks;
import dev.modproxy.proxy.http.GoProxyRoutes;
import dev.modproxy.proxy.http.RouteTable;
import dev.modproxy.proxy.http.SumDbRoutes;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.prefetch.Prefetcher;
import dev.modproxy.proxy.storage.CircuitBreakingStorage;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.PassThroughStorage;
import dev.modproxy.proxy.storage.S3Storage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.sumdb.ChecksumDatabase;
import dev.modproxy.proxy.sumdb.GoSumDbSetting;
import dev.modproxy.proxy.sumdb.SumDbArtifactVerifier;
import dev.modproxy.proxy.sumdb.SumDbException;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamCredentials;
import dev.modproxy.proxy.upstream.UpstreamTrust;
import dev.modproxy.proxy.warmup.Warmer;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/**
 * Builds the whole proxy from {@link ProxySettings}: the one place that says which part gets which
 * other part, and in what order. The Quarkus application ({@code config.ProxyBeans}) and the tests
 * both call it, so a test runs the production wiring. Plain Java: no CDI, no Quarkus.
 */
public final class ProxyAssembly implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ProxyAssembly.class);

    /** Builds the storage the cache sits on; {@link ProxyAssembly#storage} is the production one. */
    @FunctionalInterface
    public interface StorageLayers {
        Storage build(ProxySettings settings, ProxyMetrics metrics) throws IOException;
    }

    private final ProxySettings settings;
    private final ProxyMetrics metrics;
    private final UpstreamChain chain;
    private final Storage storage;
    private final boolean ownsStorage;
    private final MemoryCache memory;
    private final ModulePathPatterns privatePaths;
    private final ChecksumDatabase checksumDatabase;
    private final List<ArtifactVerifier> verifiers;
    private final ExecutorService refresh;
    private final ExecutorService downloads;
    private final ModuleCache cache;
    private final Warmer warmer;
    private final Prefetcher prefetcher;
    private final RouteTable routes;

    private ProxyAssembly(ProxySettings given, MeterRegistry registry, StorageLayers layers, boolean ownsStorage)
            throws IOException {
        // the way out trusts the CAs of MODPROXY_UPSTREAM_CA_FILE besides the JVM's, for every upstream and the
        // checksum database: read once, here
        ProxySettings settings = withUpstreamTrust(given);
        this.settings = settings;
        this.ownsStorage = ownsStorage;
        // every setting is read before anything is built: a bad one stops start-up before the storage is touched
        privatePaths = privatePaths(settings);
        ModulePathPatterns sumDbExempt = sumDbExempt(settings);
        GoSumDbSetting sumDbSetting = sumDbSetting(settings);
        long memoryBytes = byteSize("MODPROXY_MEMORY_CACHE_SIZE", settings.memoryCacheSize());
        Prefetcher.Settings prefetchBounds = prefetchBounds(settings.prefetch());
        metrics = new ProxyMetrics(registry);
        chain = upstreamChain(settings, metrics);
        storage = layers.build(settings, metrics);
        metrics.watch(storage);
        metrics.watch(chain);
        memory = new MemoryCache(memoryBytes, PlatformDependent.maxDirectMemory(), settings.clock());
        metrics.watchMemory(
                memory, MemoryCache::bytes, MemoryCache::count, MemoryCache::mappedBytes, MemoryCache::mappedCount);
        checksumDatabase = new ChecksumDatabase(
                sumDbSetting,
                sumDbExempt,
                storage,
                chain,
                connection(settings),
                settings.mutableTtl(),
                settings.egress(),
                settings.textDownloadDeadline());
        // Structure first, checksum last: a damaged or wrong artifact is refused as such, and only a
        // well-formed one is looked up in the checksum database (and counted there as verified,
        // mismatched or unverifiable).
        verifiers = List.of(
                new AnswerChecks(), new SumDbArtifactVerifier(checksumDatabase, registry, settings.sumdbRequired()));
        refresh = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "modproxy-refresh");
            t.setDaemon(true);
            return t;
        });
        downloads = ModuleCache.downloadPool(settings.maxDownloads());
        cache = new ModuleCache(
                storage,
                chain,
                verifiers,
                new CacheSettings(
                        settings.mutableTtl(),
                        settings.negativeTtl(),
                        settings.textDownloadDeadline(),
                        settings.zipDownloadDeadline()),
                metrics,
                privatePaths,
                refresh,
                memory,
                downloads,
                settings.clock());
        prefetcher = prefetcher(settings, prefetchBounds, chain, cache, metrics);
        warmer = new Warmer(
                cache,
                settings.clock(),
                settings.readTimeout().multipliedBy(4),
                job -> metrics.warmupFinished(
                        new ProxyMetrics.WarmupSummary(job.finishedAt(), job.requested(), job.failedModules())));
        routes = new RouteTable(
                new GoProxyRoutes(
                        cache, metrics, settings.mutableTtl(), settings.negativeTtl(), settings.clientStallTimeout()),
                new SumDbRoutes(checksumDatabase, settings.mutableTtl(), privatePaths),
                cache,
                storage,
                chain,
                metrics,
                warmer);
    }

    /** The proxy as production runs it, storage included; {@link #close} closes everything. */
    public static ProxyAssembly assemble(ProxySettings settings, MeterRegistry registry) throws IOException {
        return new ProxyAssembly(settings, registry, ProxyAssembly::storage, true);
    }

    /**
     * The proxy on a storage the caller builds (a bucket of a test server, a disk made to fail) and
     * closes; everything above the storage as in production.
     */
    public static ProxyAssembly assemble(ProxySettings settings, MeterRegistry registry, StorageLayers layers)
            throws IOException {
        return new ProxyAssembly(settings, registry, layers, false);
    }

    /**
     * The production storage named by MODPROXY_STORAGE_TYPE: local disk kept between watermarks, or a
     * bucket behind a circuit breaker; either behind a pass-through that serves a module the store cannot take.
     */
    public static Storage storage(ProxySettings settings, ProxyMetrics metrics) throws IOException {
        try {
            return storageLayers(settings, metrics);
        } catch (BadSettingException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new BadSettingException(e.getMessage());
        }
    }

    private static Storage storageLayers(ProxySettings settings, ProxyMetrics metrics) throws IOException {
        String type = settings.storageType().trim().toLowerCase(Locale.ROOT);
        long spillLimit = ByteSize.parse("MODPROXY_PASS_THROUGH_MAX_SIZE", settings.passThroughMaxSize());
        switch (type) {
            case "disk" -> {
                warnOfBucketSettings(settings);
                Watermarks watermarks =
                        Watermarks.parse(settings.highWatermark(), settings.lowWatermark(), settings.maxSize());
                LocalDiskStorage disk = localDisk(settings.storageRoot());
                BoundedDiskStorage bounded = new BoundedDiskStorage(
                        disk,
                        BoundedDiskStorage.Settings.of(watermarks),
                        VolumeSpace.of(disk.root()),
                        settings.clock(),
                        metrics::evicted);
                metrics.watchBound(bounded, BoundedDiskStorage::bound);
                return passThrough(
                        bounded,
                        settings,
                        () -> {
                            metrics.storageWriteFailed();
                            bounded.requestCheck();
                        },
                        metrics,
                        spillLimit);
            }
            case "s3" -> {
                ProxySettings.S3 s3 = settings.s3();
                S3Storage.Settings bucketSettings = new S3Storage.Settings(
                        Optional.ofNullable(s3.endpoint())
                                .filter(e -> !e.isBlank())
                                .map(ProxyAssembly::s3Endpoint),
                        s3.bucket(),
                        s3.prefix() == null ? "" : s3.prefix(),
                        s3.region(),
                        s3.pathStyle());
                warnOfDiskBounds(settings);
                // staging stays on local disk: the bucket only ever sees complete objects
                Path staging = usableDirectory(
                        "MODPROXY_STORAGE_DIR",
                        settings.storageRoot(),
                        settings.storageRoot().resolve("s3-staging"),
                        "with s3 it stages uploads in its s3-staging/");
                S3Storage bucket = new S3Storage(
                        bucketSettings, DefaultCredentialsProvider.builder().build(), staging);
                return bucketLayers(bucket, settings, metrics);
            }
            default ->
                throw new BadSettingException(
                        "MODPROXY_STORAGE_TYPE must be disk or s3, got '" + settings.storageType() + "'");
        }
    }

    /** The cache root as a setting: a root the proxy cannot make or write in stops it with one line naming it. */
    private static LocalDiskStorage localDisk(Path root) {
        try {
            return new LocalDiskStorage(root);
        } catch (IOException e) {
            throw new BadSettingException("MODPROXY_STORAGE_DIR must be a directory the proxy can create and write in"
                    + " (it stages downloads in its .tmp/), got " + root + " (" + whyNotUsable(e) + ")");
        }
    }

    /**
     * The layers over a bucket: a circuit breaker, so that a hung bucket stops costing every miss its timeouts,
     * behind a pass-through that serves what the bucket cannot take or answer. Tests put them over a bucket or a
     * storage of their own.
     */
    public static Storage bucketLayers(Storage bucket, ProxySettings settings, ProxyMetrics metrics)
            throws IOException {
        CircuitBreakingStorage breaker =
                new CircuitBreakingStorage(bucket, metrics::storageCallSkipped, settings.clock());
        metrics.watchCircuit(breaker);
        return passThrough(
                breaker,
                settings,
                metrics::storageWriteFailed,
                metrics,
                ByteSize.parse("MODPROXY_PASS_THROUGH_MAX_SIZE", settings.passThroughMaxSize()));
    }

    /**
     * The pass-through over a storage, in MODPROXY_PASS_THROUGH_DIR: a directory the proxy cannot make or write in
     * stops it with one line naming the variable (it was a stack trace, or nothing until the disk filled).
     */
    private static Storage passThrough(
            Storage storage, ProxySettings settings, Runnable onWriteFailure, ProxyMetrics metrics, long spillLimit)
            throws IOException {
        Path spillDir = usableDirectory(
                "MODPROXY_PASS_THROUGH_DIR",
                settings.passThroughDir(),
                settings.passThroughDir(),
                "it holds the modules served without being cached while the cache cannot take them");
        return new PassThroughStorage(
                storage, spillDir, onWriteFailure, metrics::storageReadFailed, settings.clock(), spillLimit);
    }

    /**
     * Why a directory could not be made or written in, in words: the JDK's exceptions for a file in the way, a
     * permission refused or a parent missing carry the path alone ("got /cache (/cache)").
     */
    static String whyNotUsable(IOException e) {
        String path = e.getMessage();
        if (e instanceof FileAlreadyExistsException) {
            return path + " is a file, not a directory";
        }
        if (e instanceof AccessDeniedException) {
            return path + ": permission denied to the proxy's user";
        }
        if (e instanceof NoSuchFileException) {
            return path + ": no such file or directory, and it cannot be made there";
        }
        return path;
    }

    /**
     * dir, made if missing, once a file could be written in it; else a {@link BadSettingException} naming the
     * variable whose value (given) it comes from and what the proxy keeps there.
     */
    private static Path usableDirectory(String variable, Path given, Path dir, String use) {
        Path probe = null;
        try {
            Files.createDirectories(dir);
            probe = Files.createTempFile(dir, "probe-", ".tmp");
            return dir;
        } catch (IOException e) {
            throw new BadSettingException(variable + " must be a directory the proxy can create and write in (" + use
                    + "), got " + given + " (" + whyNotUsable(e) + ")");
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException e) {
                    LOG.debugf("cannot remove %s: %s", probe, e);
                }
            }
        }
    }

    /**
     * The settings that bound the cache on disk, when set with a bucket: nothing evicts from a bucket, and they used
     * to be ignored without a word.
     */
    private static void warnOfDiskBounds(ProxySettings settings) {
        List<String> ignored = new ArrayList<>();
        if (settings.maxSize() != null && !settings.maxSize().isBlank()) {
            ignored.add("MODPROXY_MAX_SIZE");
        }
        if (!Objects.equals(settings.highWatermark(), ProxySettings.DEFAULT_HIGH_WATERMARK)) {
            ignored.add("MODPROXY_EVICTION_HIGH_WATERMARK");
        }
        if (!Objects.equals(settings.lowWatermark(), ProxySettings.DEFAULT_LOW_WATERMARK)) {
            ignored.add("MODPROXY_EVICTION_LOW_WATERMARK");
        }
        if (!ignored.isEmpty()) {
            LOG.warnf(
                    "modproxy: %s ignored with MODPROXY_STORAGE_TYPE=s3: the proxy never evicts from a bucket;"
                            + " bound its size with the bucket's lifecycle rules (e.g. expire objects under"
                            + " MODPROXY_S3_PREFIX some days after they were written: the proxy fetches an expired"
                            + " module again)",
                    String.join(", ", ignored));
        }
    }

    /**
     * The bucket's settings, when set with a disk cache: they were ignored without a word, and a cache meant to be
     * shared through a bucket filled the pod's volume instead. The region and path style count when not their defaults.
     */
    private static void warnOfBucketSettings(ProxySettings settings) {
        ProxySettings.S3 s3 = settings.s3();
        ProxySettings.S3 unset =
                ProxySettings.defaults(settings.storageRoot()).build().s3();
        List<String> ignored = new ArrayList<>();
        if (s3.endpoint() != null && !s3.endpoint().isBlank()) {
            ignored.add("MODPROXY_S3_ENDPOINT");
        }
        if (s3.bucket() != null && !s3.bucket().isBlank()) {
            ignored.add("MODPROXY_S3_BUCKET");
        }
        if (s3.prefix() != null && !s3.prefix().isBlank()) {
            ignored.add("MODPROXY_S3_PREFIX");
        }
        if (!Objects.equals(s3.region(), unset.region())) {
            ignored.add("MODPROXY_S3_REGION");
        }
        if (s3.pathStyle() != unset.pathStyle()) {
            ignored.add("MODPROXY_S3_PATH_STYLE");
        }
        if (!ignored.isEmpty()) {
            LOG.warnf(
                    "modproxy: %s ignored with MODPROXY_STORAGE_TYPE=disk (the default): the cache is kept in %s;"
                            + " set MODPROXY_STORAGE_TYPE=s3 to keep it in the bucket",
                    String.join(", ", ignored), settings.storageRoot());
        }
    }

    /**
     * The URI's own message repeats the whole value, a login included. Without a scheme, "minio:9000" parses as the
     * URI of scheme "minio", which the S3 client then refused with a stack trace: it needs http:// or https://.
     */
    private static URI s3Endpoint(String endpoint) {
        URI uri;
        try {
            uri = new URI(endpoint);
        } catch (URISyntaxException e) {
            throw new BadSettingException(
                    "MODPROXY_S3_ENDPOINT \"" + Redacted.url(endpoint) + "\" is not a URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new BadSettingException("MODPROXY_S3_ENDPOINT \"" + Redacted.url(endpoint)
                    + "\" is not an http:// or https:// URL with a host: write it with its scheme, e.g."
                    + " http://minio:9000 (or unset it for AWS S3 itself)");
        }
        return uri;
    }

    /**
     * The prefetcher when MODPROXY_PREFETCH is on and the chain starts with an upstream (a chain that starts with
     * direct or off fetches nothing, so there is nothing to fetch ahead); null otherwise.
     */
    private static Prefetcher prefetcher(
            ProxySettings settings,
            Prefetcher.Settings bounds,
            UpstreamChain chain,
            ModuleCache cache,
            ProxyMetrics metrics) {
        if (bounds == null || !(chain.entries().get(0) instanceof UpstreamChain.Proxy)) {
            return null;
        }
        Prefetcher prefetcher = new Prefetcher(cache, bounds, metrics, settings.clock());
        cache.observe(prefetcher, settings.prefetch().useWindow());
        return prefetcher;
    }

    /**
     * The prefetcher's bounds when MODPROXY_PREFETCH is on, null when it is off. Its byte counts are read either way,
     * as the operator checks them (by the contract's rule of each variable, which knows nothing of the other's value).
     */
    private static Prefetcher.Settings prefetchBounds(ProxySettings.Prefetch p) {
        long maxBytesInFlight = byteSize("MODPROXY_PREFETCH_MAX_BYTES", p.maxBytesInFlight());
        long maxZipSize = byteSize("MODPROXY_PREFETCH_MAX_ZIP_SIZE", p.maxZipSize());
        if (!p.enabled()) {
            return null;
        }
        return new Prefetcher.Settings(p.concurrency(), maxBytesInFlight, maxZipSize, p.queueSize(), p.startWindow());
    }

    /** A byte count read by the contract's rule of its variable, whose message names it and what it takes. */
    private static long byteSize(String setting, String text) {
        try {
            return SettingValueRule.of(setting).orElseThrow().bytes(setting, text);
        } catch (IllegalArgumentException e) {
            throw new BadSettingException(e.getMessage());
        }
    }

    private static ModulePathPatterns privatePaths(ProxySettings settings) {
        return globs("MODPROXY_PRIVATE", settings.privatePatterns());
    }

    /** Read after MODPROXY_PRIVATE, which it includes; checked alone first, so that a refusal names the right one. */
    private static ModulePathPatterns sumDbExempt(ProxySettings settings) {
        globs("MODPROXY_NOSUMDB", settings.nosumdb());
        return ChecksumDatabase.exemptPatterns(settings.nosumdb(), settings.privatePatterns());
    }

    private static ModulePathPatterns globs(String setting, String text) {
        try {
            return SettingValueRule.of(setting).orElseThrow().globs(setting, text);
        } catch (IllegalArgumentException e) {
            throw new BadSettingException(e.getMessage());
        }
    }

    /**
     * settings whose egress trusts the certificate authorities of MODPROXY_UPSTREAM_CA_FILE besides the JVM's; a file
     * that is missing, unreadable, empty or holds no certificate stops start-up with one line naming the variable.
     */
    private static ProxySettings withUpstreamTrust(ProxySettings settings) {
        if (settings.upstreamCaFile() == null) {
            return settings;
        }
        UpstreamTrust trust;
        try {
            trust = UpstreamTrust.fromPemFile(settings.upstreamCaFile());
        } catch (IOException e) {
            throw new BadSettingException("MODPROXY_UPSTREAM_CA_FILE (a PEM file of the certificate authorities"
                    + " upstreams are signed by, besides the JVM's) cannot be read: " + whyNotReadable(e));
        } catch (IllegalArgumentException e) {
            throw new BadSettingException("MODPROXY_UPSTREAM_CA_FILE (a PEM file of the certificate authorities"
                    + " upstreams are signed by, besides the JVM's): " + e.getMessage());
        }
        LOG.infof(
                "modproxy: upstreams and the checksum database are trusted when signed by %s (read at start:"
                        + " a changed file takes a restart)",
                trust.describe());
        return settings.withEgress(settings.egress().trusting(trust));
    }

    /** The JDK's message for a missing or refused file is its path alone. */
    private static String whyNotReadable(IOException e) {
        if (e instanceof NoSuchFileException) {
            return e.getMessage() + ": no such file";
        }
        if (e instanceof AccessDeniedException) {
            return e.getMessage() + ": permission denied to the proxy's user";
        }
        return e.getMessage();
    }

    private static UpstreamChain upstreamChain(ProxySettings settings, ProxyMetrics metrics) {
        UpstreamCredentials credentials;
        try {
            credentials = settings.netrc() == null
                    ? UpstreamCredentials.none()
                    : UpstreamCredentials.fromNetrc(settings.netrc());
        } catch (IOException | IllegalArgumentException e) {
            throw new BadSettingException(
                    "MODPROXY_NETRC (a netrc file: machine HOST login USER password SECRET): " + e.getMessage());
        }
        try {
            return UpstreamChain.parse(
                    settings.upstream(), connection(settings), metrics, settings.egress(), credentials);
        } catch (IllegalArgumentException e) {
            throw new BadSettingException(
                    "MODPROXY_UPSTREAM (GOPROXY syntax: http(s) URLs, direct or off, joined by ',' or '|'): "
                            + e.getMessage());
        }
    }

    private static UpstreamChain.Settings connection(ProxySettings settings) {
        return new UpstreamChain.Settings(
                settings.connectTimeout(),
                settings.readTimeout(),
                settings.breakerFailures(),
                settings.breakerCoolDown());
    }

    private static GoSumDbSetting sumDbSetting(ProxySettings settings) {
        GoSumDb sumDb;
        try {
            sumDb = SettingValueRule.of("MODPROXY_SUMDB").orElseThrow().sumDb("MODPROXY_SUMDB", settings.sumdb());
        } catch (IllegalArgumentException e) {
            throw new BadSettingException(e.getMessage());
        }
        try {
            return GoSumDbSetting.of(sumDb);
        } catch (SumDbException e) {
            // a key of the right shape the JDK's Ed25519 still refuses
            throw new BadSettingException("MODPROXY_SUMDB: " + e.getMessage());
        }
    }

    public ProxySettings settings() {
        return settings;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    public UpstreamChain chain() {
        return chain;
    }

    public Storage storage() {
        return storage;
    }

    public MemoryCache memory() {
        return memory;
    }

    public ChecksumDatabase checksumDatabase() {
        return checksumDatabase;
    }

    /** The checks every upstream answer passes before it is stored, in the order they run. */
    public List<ArtifactVerifier> verifiers() {
        return verifiers;
    }

    public ModuleCache cache() {
        return cache;
    }

    public Warmer warmer() {
        return warmer;
    }

    /** The prefetcher, when MODPROXY_PREFETCH is on. */
    public Optional<Prefetcher> prefetcher() {
        return Optional.ofNullable(prefetcher);
    }

    /** Which path goes where, on the serving port and on the management port. */
    public RouteTable routes() {
        return routes;
    }

    @Override
    public void close() {
        routes.close(); // bucket hits still streaming are cut off, and their senders end
        warmer.close();
        if (prefetcher != null) {
            prefetcher.close();
        }
        downloads.shutdownNow();
        refresh.shutdownNow();
        cache.close(); // cold zips still going to their first clients are cut off, and their senders end
        memory.clear();
        checksumDatabase.close(); // its last write goes to the storage: before the storage closes
        if (ownsStorage && storage instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException(
                        "cannot close the storage " + storage.describe() + ": " + e.getMessage(), e);
            }
        }
    }
}
