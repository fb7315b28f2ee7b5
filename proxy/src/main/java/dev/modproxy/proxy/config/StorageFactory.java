package dev.modproxy.proxy.config;

import dev.modproxy.proxy.eviction.BoundedDiskStorage;
import dev.modproxy.proxy.eviction.VolumeSpace;
import dev.modproxy.proxy.eviction.Watermarks;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.PassThroughStorage;
import dev.modproxy.proxy.storage.Storage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;

/** Picks and assembles the storage named by MODPROXY_STORAGE_TYPE. */
final class StorageFactory {

    private StorageFactory() {
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
                return new PassThroughStorage(bounded, spill, bounded::requestCheck, Clock.systemUTC());
            }
            default -> throw new IllegalArgumentException("MODPROXY_STORAGE_TYPE must be disk or s3, got '" + config.storageType() + "'");
        }
    }
}
