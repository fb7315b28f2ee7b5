package dev.modproxy.proxy.config;

import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.storage.Storage;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the cache can store new artifacts. */
@Readiness
@Singleton
public class StorageReadinessCheck implements HealthCheck {

    private final Storage storage;

    public StorageReadinessCheck(ProxyAssembly proxy) {
        this.storage = proxy.storage();
    }

    @Override
    public HealthCheckResponse call() {
        return of(storage);
    }

    /**
     * Up while the storage, or its pass-through, can take a module; when only the pass-through can, the data's
     * {@code writes} says so (it said nothing: a full disk looked like a healthy one).
     */
    static HealthCheckResponse of(Storage storage) {
        try {
            storage.probeWritable();
            // ready while the size of a large cache is still being counted: serving does not need it
            HealthCheckResponseBuilder up = HealthCheckResponse.named("storage")
                    .up()
                    .withData("root", storage.describe())
                    .withData("usage", storage.usageCounted() ? "counted" : "counting");
            storage.writeProblem().ifPresent(problem -> up.withData("writes", problem));
            return up.build();
        } catch (Exception e) {
            return HealthCheckResponse.named("storage")
                    .down()
                    .withData("root", storage.describe())
                    .withData("error", String.valueOf(e.getMessage()))
                    .build();
        }
    }
}
