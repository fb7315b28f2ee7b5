package dev.modproxy.proxy.config;

import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.Storage;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready while the cache can take new artifacts: into the storage, or, when the storage cannot take them, into the
 * pass-through directory (served uncached; its data then counts those writes).
 */
@Readiness
@Singleton
public class StorageReadinessCheck implements HealthCheck {

    private final Storage storage;
    private final ProxyMetrics metrics;

    public StorageReadinessCheck(ProxyAssembly proxy) {
        this.storage = proxy.storage();
        this.metrics = proxy.metrics();
    }

    @Override
    public HealthCheckResponse call() {
        return of(storage, metrics);
    }

    /**
     * Up while the storage, or its pass-through, can take a module; when only the pass-through can, the data's
     * {@code writes} says so (it said nothing: a full disk looked like a healthy one).
     */
    static HealthCheckResponse of(Storage storage, ProxyMetrics metrics) {
        try {
            storage.probeWritable();
            // ready while the size of a large cache is still being counted: serving does not need it
            HealthCheckResponseBuilder up = HealthCheckResponse.named("storage")
                    .up()
                    .withData("root", storage.describe())
                    .withData("usage", storage.usageCounted() ? "counted" : "counting");
            storage.writeProblem().ifPresent(problem -> up.withData("writes", problem));
            return withWriteFailures(up, metrics).build();
        } catch (Exception e) {
            return withWriteFailures(
                            HealthCheckResponse.named("storage")
                                    .down()
                                    .withData("root", storage.describe())
                                    .withData("error", String.valueOf(e.getMessage())),
                            metrics)
                    .build();
        }
    }

    /**
     * Ready while the pass-through directory serves what the storage cannot take (a read-only or full disk): say so,
     * or an operator reads UP and no word of modules going out uncached.
     */
    private static HealthCheckResponseBuilder withWriteFailures(
            HealthCheckResponseBuilder response, ProxyMetrics metrics) {
        metrics.lastStorageWriteFailure()
                .ifPresent(last -> response.withData(
                                "writeFailures",
                                metrics.storageWriteFailures()
                                        + " artifacts the storage could not take since start"
                                        + " (modproxy_storage_write_failures_total): served uncached through the"
                                        + " pass-through directory while it can take them")
                        .withData("lastWriteFailure", last.toString()));
        return response;
    }
}
