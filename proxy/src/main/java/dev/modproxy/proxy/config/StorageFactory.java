package dev.modproxy.proxy.config;

import dev.modproxy.proxy.eviction.BoundedDiskStorage;
import dev.modproxy.proxy.eviction.VolumeSpace;
import dev.modproxy.proxy.eviction.Watermarks;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.PassThroughStorage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.S3Storage;
import java.io.IOException;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;

/** Picks and assembles the storage named by MODPROXY_STORAGE_TYPE. */
final class StorageFactory {

    private StorageFactory() {
    }

    private static long spillLimit(ProxyConfig config) {
        return dev.modproxy.proxy.eviction.ByteSize.parse("MODPROXY_PASS_THROUGH_MAX_SIZE", config.passThroughMaxSize());
    }

    static Storage create(ProxyConfig config, ProxyMetrics metrics) throws IOException {
        Path spill = config.passThroughDir().orElse(Path.of(System.getProperty("java.io.tmpdir"), "modproxy-passthrough"));
        String type = config.storageType().trim().toLowerCase(Locale.ROOT);
        switch (type) {
            case "disk" -> {
                Watermarks watermarks = Watermarks.parse(config.eviction().highWatermark(), config.eviction().lowWatermark(),
                        config.maxSize().orElse(null));
                LocalDiskStorage disk = new LocalDiskStorage(config.storageRoot());
                BoundedDiskStorage bounded = new BoundedDiskStorage(disk, BoundedDiskStorage.Settings.of(watermarks),
                        VolumeSpace.of(disk.root()), Clock.systemUTC(), metrics::evicted);
                metrics.watchBound(bounded, BoundedDiskStorage::bound);
                return new PassThroughStorage(bounded, spill, bounded::requestCheck, Clock.systemUTC(), spillLimit(config));
            }
            case "s3" -> {
                ProxyConfig.S3 s3 = config.s3();
                S3Storage.Settings settings = new S3Storage.Settings(s3.endpoint().filter(e -> !e.isBlank()).map(URI::create),
                        s3.bucket().orElse(null), s3.prefix().orElse(""), s3.region(), s3.pathStyle());
                // staging stays on local disk: the bucket only ever sees complete objects
                S3Storage bucket = new S3Storage(settings, DefaultCredentialsProvider.builder().build(),
                        config.storageRoot().resolve("s3-staging"));
                return new PassThroughStorage(bucket, spill, () -> { }, Clock.systemUTC(), spillLimit(config));
            }
            default -> throw new IllegalArgumentException("MODPROXY_STORAGE_TYPE must be disk or s3, got '" + config.storageType() + "'");
        }
    }
}
