package dev.modproxy.proxy.config;

import dev.modproxy.proxy.assembly.ProxySettings;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Proxy settings; every key is also an environment variable (modproxy.read-timeout = MODPROXY_READ_TIMEOUT). Durations,
 * numbers and switches are text, read by {@link SettingValues}, so that a bad one is refused naming its variable.
 * Each is optional here: unset or set to the empty string (a Kubernetes env entry with value ""), it takes its default
 * from {@link ProxySettings#defaults}, where the configuration library refused an empty value of a setting with a
 * default (SRCFG00040).
 */
@ConfigMapping(prefix = "modproxy")
public interface ProxyConfig {

    /** GOPROXY syntax: ',' falls through on 404/410, '|' on any error; direct/off end the list. */
    Optional<String> upstream();

    /**
     * A netrc file ("machine HOST login USER password SECRET") with logins for private upstreams, mounted from a
     * Secret; unset means no logins besides user:password@ in MODPROXY_UPSTREAM.
     */
    Optional<Path> netrc();

    /**
     * A PEM file of certificate authorities trusted besides the JVM's for upstreams and the checksum database (a
     * private CA, a TLS-inspecting egress proxy's), mounted from a Secret or ConfigMap; read at start.
     */
    Optional<Path> upstreamCaFile();

    /** Cache root; default $XDG_CACHE_HOME/modproxy or ~/.cache/modproxy. */
    Optional<Path> storageDir();

    /** GOPRIVATE-style globs answered 404 without asking any upstream. */
    @WithName("private")
    Optional<String> privatePatterns();

    /** GOSUMDB syntax; read by the checksum database verifier. */
    Optional<String> sumdb();

    /** GONOSUMDB-style globs exempt from the checksum database check. */
    Optional<String> nosumdb();

    /**
     * Whether a module is refused when no source of the checksum database answers at all.
     * Off by default: builds still verify it themselves, and a cut link must not stop them.
     */
    Optional<String> sumdbRequired();

    /** Time to establish a connection to an upstream. */
    Optional<String> connectTimeout();

    /** Longest wait for an upstream's response headers and for each gap between body bytes. */
    Optional<String> readTimeout();

    /** How long list, @latest and branch/commit .info answers are fresh. */
    Optional<String> mutableTtl();

    /**
     * How long a 404/410 from the whole chain, the 403 it stopped on, or the refusal of an answer's content (a hash the
     * checksum database contradicts or does not have, a zip that breaks the module zip rules, a .mod, .info or list
     * that fails its checks, an answer over its size limit) is remembered.
     */
    Optional<String> negativeTtl();

    /** The longest one upstream may take to send a whole .info, .mod, list or @latest answer. */
    Optional<String> textDownloadDeadline();

    /** The longest one upstream may take to send a whole .zip. */
    Optional<String> zipDownloadDeadline();

    /** Cold downloads running at once; more wait in line. Hits never wait for these threads. */
    Optional<String> maxDownloads();

    /** Consecutive failures after which an upstream is skipped. */
    Optional<String> breakerFailures();

    /** How long a failing upstream is skipped before one trial request. */
    Optional<String> breakerCoolDown();

    /** Longest a client may stall a download before it is disconnected. */
    Optional<String> clientStallTimeout();

    /** Where cached objects live: {@code disk} (MODPROXY_STORAGE_DIR) or {@code s3} (MODPROXY_S3_*). */
    Optional<String> storageType();

    /** LRU eviction bounds of the disk cache. */
    Eviction eviction();

    /** Optional absolute cap on the disk cache's bytes (1073741824, 512Mi, 10G); watermarks apply to it too. */
    Optional<String> maxSize();

    /**
     * Memory outside the heap for small immutable artifacts (.info, .mod, zips up to 64 KiB) answered
     * without touching the storage (1048576, 32Mi, 1G); at most half of the JVM's direct memory; 0 turns it off,
     * and with it the mapping of zips up to 4 MiB from their files.
     */
    Optional<String> memoryCacheSize();

    /**
     * Whether the cache fetches what a go command will ask next (the requirements of a go.mod it served, the
     * zip of a version whose .info or .mod it served), so a cold build waits one round trip less per wave.
     */
    Optional<String> prefetch();

    /**
     * Prefetches running at once, on threads of their own. Each holds its thread for a round trip to the upstream,
     * and with the checksum database on for the proof's second one, so this bounds how many modules of a wave are
     * fetched ahead at once: a cold walk of a deep graph 150 ms away took 29 s at 16, 17 s at 32 (docs/benchmarks.md).
     */
    Optional<String> prefetchConcurrency();

    /** The most the running prefetches may download at once (1048576, 256Mi, 1G); one that would go over is cancelled. */
    Optional<String> prefetchMaxBytes();

    /**
     * The largest zip a prefetch may fetch (1048576, 16Mi, 1G): one whose answer is larger is cancelled (before its
     * body is read when the upstream says its length), unless a client joined it; 0 prefetches no zip. A command
     * that reads only .info and .mod files (go list -m, gopls, Renovate-like tools) brings each version's zip, so this
     * caps what such a read may cost the upstream link; on the real benchmark graph 16Mi leaves out one zip of 138.
     */
    Optional<String> prefetchMaxZipSize();

    /** Prefetches waiting for a free slot; more are dropped. */
    Optional<String> prefetchQueue();

    /** A prefetch not started within this long is dropped: the client has asked for it itself by then. */
    Optional<String> prefetchStartWindow();

    /** A prefetched artifact no client asks for within this long counts as wasted (modproxy_prefetch_wasted_total). */
    Optional<String> prefetchUseWindow();

    /** Where a module goes when the storage cannot take it (disk full): served from there, not cached. */
    Optional<Path> passThroughDir();

    /** The most the pass-through files may hold together (1073741824, 512Mi, 1G). */
    Optional<String> passThroughMaxSize();

    /** The bucket when MODPROXY_STORAGE_TYPE=s3; credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. */
    S3 s3();

    interface S3 {
        /** e.g. http://minio.storage:9000; unset for AWS S3 itself. */
        Optional<String> endpoint();

        Optional<String> bucket();

        /** Key prefix inside the bucket, so several caches can share one. */
        Optional<String> prefix();

        Optional<String> region();

        /** bucket in the path (MinIO, Ceph RGW) rather than in the host name (AWS, OSS). */
        Optional<String> pathStyle();
    }

    interface Eviction {
        /** Eviction starts when the volume (or MODPROXY_MAX_SIZE) is this full: a fraction (0.9) or percentage (90%). */
        Optional<String> highWatermark();

        /** Eviction stops at this fill level. */
        Optional<String> lowWatermark();
    }

    /** The storage root with the default applied. */
    default Path storageRoot() {
        return storageDir().orElseGet(ProxySettings::defaultStorageRoot);
    }
}
