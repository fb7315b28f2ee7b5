package dev.modproxy.proxy.assembly;

import dev.modproxy.proxy.upstream.EgressProxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the proxy is built from, as plain values: the MODPROXY_* settings (same names, same defaults,
 * still unparsed where parsing can fail, so {@link ProxyAssembly} reports a bad one by its variable name),
 * plus the egress proxy and the clock. The Quarkus adapter fills it from configuration; tests fill it directly.
 */
public record ProxySettings(
        String upstream,
        Path netrc,
        Path upstreamCaFile,
        EgressProxy egress,
        String storageType,
        Path storageRoot,
        String highWatermark,
        String lowWatermark,
        String maxSize,
        Path passThroughDir,
        String passThroughMaxSize,
        S3 s3,
        String privatePatterns,
        String sumdb,
        String nosumdb,
        boolean sumdbRequired,
        Duration connectTimeout,
        Duration readTimeout,
        Duration mutableTtl,
        Duration negativeTtl,
        Duration textDownloadDeadline,
        Duration zipDownloadDeadline,
        int maxDownloads,
        int breakerFailures,
        Duration breakerCoolDown,
        Duration clientStallTimeout,
        String memoryCacheSize,
        Prefetch prefetch,
        Clock clock) {

    /** MODPROXY_S3_*: the bucket when MODPROXY_STORAGE_TYPE=s3; endpoint and bucket may be null. */
    public record S3(String endpoint, String bucket, String prefix, String region, boolean pathStyle) {}

    /**
     * MODPROXY_PREFETCH*: whether the cache fetches what clients will ask next, and its bounds (prefetches
     * running at once, their bytes in flight, the largest zip one may fetch, prefetches waiting, how long one may
     * wait to start, how long a prefetched artifact may stay unasked before it counts as wasted). maxBytesInFlight
     * and maxZipSize are still unparsed.
     */
    public record Prefetch(
            boolean enabled,
            int concurrency,
            String maxBytesInFlight,
            String maxZipSize,
            int queueSize,
            Duration startWindow,
            Duration useWindow) {}

    /** MODPROXY_EVICTION_HIGH_WATERMARK when unset: eviction starts when the volume is this full. */
    public static final String DEFAULT_HIGH_WATERMARK = "90%";
    /** MODPROXY_EVICTION_LOW_WATERMARK when unset: eviction stops at this fill level. */
    public static final String DEFAULT_LOW_WATERMARK = "75%";

    public ProxySettings {
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(storageRoot, "storageRoot");
        Objects.requireNonNull(clock, "clock");
    }

    /** These settings, reaching upstreams and the checksum database by way. */
    public ProxySettings withEgress(EgressProxy way) {
        return new ProxySettings(
                upstream(),
                netrc(),
                upstreamCaFile(),
                way,
                storageType(),
                storageRoot(),
                highWatermark(),
                lowWatermark(),
                maxSize(),
                passThroughDir(),
                passThroughMaxSize(),
                s3(),
                privatePatterns(),
                sumdb(),
                nosumdb(),
                sumdbRequired(),
                connectTimeout(),
                readTimeout(),
                mutableTtl(),
                negativeTtl(),
                textDownloadDeadline(),
                zipDownloadDeadline(),
                maxDownloads(),
                breakerFailures(),
                breakerCoolDown(),
                clientStallTimeout(),
                memoryCacheSize(),
                prefetch(),
                clock());
    }

    /** The defaults of every MODPROXY_* variable, with the cache under {@code storageRoot}. */
    public static Builder defaults(Path storageRoot) {
        return new Builder(storageRoot);
    }

    /** $XDG_CACHE_HOME/modproxy, else ~/.cache/modproxy: MODPROXY_STORAGE_DIR when unset. */
    public static Path defaultStorageRoot() {
        return defaultStorageRoot(
                System.getenv("XDG_CACHE_HOME"), System.getenv("HOME"), System.getProperty("user.home"));
    }

    /**
     * ~ is $HOME, as the shell and the go command (os.UserCacheDir) read it: the JVM's user.home comes from the passwd
     * entry and ignores $HOME, so it is only the fallback for a process without one.
     */
    static Path defaultStorageRoot(String xdgCacheHome, String home, String userHome) {
        if (xdgCacheHome != null && !xdgCacheHome.isBlank()) {
            return Path.of(xdgCacheHome, "modproxy");
        }
        String base = home != null && !home.isBlank() ? home : userHome;
        return Path.of(base, ".cache", "modproxy");
    }

    /** MODPROXY_PASS_THROUGH_DIR when unset. */
    public static Path defaultPassThroughDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "modproxy-passthrough");
    }

    /** Starts from the production defaults, what a MODPROXY_* variable unset or empty means; each method sets one. */
    public static final class Builder {
        private String upstream = "https://proxy.golang.org";
        private Path netrc;
        private Path upstreamCaFile;
        private EgressProxy egress;
        private String storageType = "disk";
        private Path storageRoot;
        private String highWatermark = DEFAULT_HIGH_WATERMARK;
        private String lowWatermark = DEFAULT_LOW_WATERMARK;
        private String maxSize;
        private Path passThroughDir;
        private String passThroughMaxSize = "1Gi";
        private S3 s3 = new S3(null, null, "", "us-east-1", true);
        private String privatePatterns = "";
        private String sumdb = "sum.golang.org";
        private String nosumdb = "";
        private boolean sumdbRequired;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration readTimeout = Duration.ofSeconds(30);
        private Duration mutableTtl = Duration.ofMinutes(5);
        private Duration negativeTtl = Duration.ofMinutes(1);
        private Duration textDownloadDeadline = Duration.ofMinutes(1);
        private Duration zipDownloadDeadline = Duration.ofMinutes(15);
        private int maxDownloads = 256;
        private int breakerFailures = 5;
        private Duration breakerCoolDown = Duration.ofSeconds(30);
        private Duration clientStallTimeout = Duration.ofSeconds(60);
        private String memoryCacheSize = "32Mi";
        private Prefetch prefetch =
                new Prefetch(true, 32, "256Mi", "16Mi", 1000, Duration.ofSeconds(30), Duration.ofMinutes(10));
        private Clock clock = Clock.systemUTC();

        private Builder(Path storageRoot) {
            this.storageRoot = storageRoot;
        }

        public Builder upstream(String goproxy) {
            upstream = goproxy;
            return this;
        }

        /** null: no netrc file. */
        public Builder netrc(Path file) {
            netrc = file;
            return this;
        }

        /** null: the JVM's certificate authorities alone; else a PEM file of more, trusted besides them. */
        public Builder upstreamCaFile(Path file) {
            upstreamCaFile = file;
            return this;
        }

        /** null: read HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment. */
        public Builder egress(EgressProxy proxy) {
            egress = proxy;
            return this;
        }

        public Builder storageType(String type) {
            storageType = type;
            return this;
        }

        public Builder storageRoot(Path root) {
            storageRoot = root;
            return this;
        }

        public Builder watermarks(String high, String low) {
            highWatermark = high;
            lowWatermark = low;
            return this;
        }

        /** null: bounded by the volume alone. */
        public Builder maxSize(String size) {
            maxSize = size;
            return this;
        }

        /** null: {@link #defaultPassThroughDir()}. */
        public Builder passThroughDir(Path dir) {
            passThroughDir = dir;
            return this;
        }

        public Builder passThroughMaxSize(String size) {
            passThroughMaxSize = size;
            return this;
        }

        public Builder s3(S3 bucket) {
            s3 = bucket;
            return this;
        }

        public Builder privatePatterns(String patterns) {
            privatePatterns = patterns;
            return this;
        }

        public Builder sumdb(String gosumdb) {
            sumdb = gosumdb;
            return this;
        }

        public Builder nosumdb(String patterns) {
            nosumdb = patterns;
            return this;
        }

        public Builder sumdbRequired(boolean required) {
            sumdbRequired = required;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            connectTimeout = d;
            return this;
        }

        public Builder readTimeout(Duration d) {
            readTimeout = d;
            return this;
        }

        public Builder mutableTtl(Duration d) {
            mutableTtl = d;
            return this;
        }

        public Builder negativeTtl(Duration d) {
            negativeTtl = d;
            return this;
        }

        public Builder downloadDeadlines(Duration text, Duration zip) {
            textDownloadDeadline = text;
            zipDownloadDeadline = zip;
            return this;
        }

        public Builder maxDownloads(int n) {
            maxDownloads = n;
            return this;
        }

        public Builder breaker(int failures, Duration coolDown) {
            breakerFailures = failures;
            breakerCoolDown = coolDown;
            return this;
        }

        public Builder clientStallTimeout(Duration d) {
            clientStallTimeout = d;
            return this;
        }

        public Builder memoryCacheSize(String size) {
            memoryCacheSize = size;
            return this;
        }

        public Builder prefetch(Prefetch p) {
            prefetch = p;
            return this;
        }

        /** What the memory tier reads the time from (its rechecks); tests move it by hand. */
        public Builder clock(Clock c) {
            clock = c;
            return this;
        }

        /**
         * HTTPS_PROXY, HTTP_PROXY and NO_PROXY as the go command reads them; one that cannot be used (no host, not a
         * URL, a SOCKS proxy) stops the proxy with its one line, which names the variable, not a stack trace.
         */
        private static EgressProxy egressFromEnvironment() {
            try {
                return EgressProxy.fromEnvironment();
            } catch (IllegalArgumentException e) {
                throw new BadSettingException(e.getMessage());
            }
        }

        public ProxySettings build() {
            return new ProxySettings(
                    upstream,
                    netrc,
                    upstreamCaFile,
                    egress != null ? egress : egressFromEnvironment(),
                    storageType,
                    storageRoot,
                    highWatermark,
                    lowWatermark,
                    maxSize,
                    passThroughDir != null ? passThroughDir : defaultPassThroughDir(),
                    passThroughMaxSize,
                    s3,
                    privatePatterns == null ? "" : privatePatterns,
                    sumdb,
                    nosumdb == null ? "" : nosumdb,
                    sumdbRequired,
                    connectTimeout,
                    readTimeout,
                    mutableTtl,
                    negativeTtl,
                    textDownloadDeadline,
                    zipDownloadDeadline,
                    maxDownloads,
                    breakerFailures,
                    breakerCoolDown,
                    clientStallTimeout,
                    memoryCacheSize,
                    prefetch,
                    clock);
        }
    }
}
