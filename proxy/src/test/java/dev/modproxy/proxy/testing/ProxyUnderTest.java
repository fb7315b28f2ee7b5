package dev.modproxy.proxy.testing;

import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.Storage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** {@link ProxyOnStorage} over a local disk cache under {@code root}, with the options a test tunes. */
public final class ProxyUnderTest implements AutoCloseable {

    public static final class Options {
        Duration readTimeout = Duration.ofSeconds(5);
        Duration mutableTtl = Duration.ofMinutes(5);
        Duration negativeTtl = Duration.ofMinutes(1);
        int breakerFailures = 5;
        Duration breakerCoolDown = Duration.ofSeconds(30);
        String privatePatterns = "";
        Duration stallLimit = Duration.ofSeconds(10);
        Duration textDeadline = dev.modproxy.proxy.cache.CacheSettings.DEFAULT_TEXT_DEADLINE;
        Duration zipDeadline = dev.modproxy.proxy.cache.CacheSettings.DEFAULT_ZIP_DEADLINE;
        UnaryOperator<Storage> storageView = UnaryOperator.identity();
        long memoryCacheBytes = 64L << 20; // the production default
        Clock clock = Clock.systemUTC();

        /** Bytes for small artifacts in memory; 0 turns the memory cache off. */
        public Options memoryCache(long bytes, Clock clock) {
            memoryCacheBytes = bytes;
            this.clock = clock;
            return this;
        }

        /** Lets a test put a different storage in front of the local disk (e.g. one without local files). */
        public Options storageView(UnaryOperator<Storage> view) {
            storageView = view;
            return this;
        }

        public Options readTimeout(Duration d) {
            readTimeout = d;
            return this;
        }

        public Options mutableTtl(Duration d) {
            mutableTtl = d;
            return this;
        }

        public Options negativeTtl(Duration d) {
            negativeTtl = d;
            return this;
        }

        public Options breaker(int failures, Duration coolDown) {
            breakerFailures = failures;
            breakerCoolDown = coolDown;
            return this;
        }

        public Options privatePatterns(String patterns) {
            privatePatterns = patterns;
            return this;
        }

        /** The longest one upstream may take for a whole .info/.mod/list/@latest, and for a whole .zip. */
        public Options downloadDeadlines(Duration text, Duration zip) {
            textDeadline = text;
            zipDeadline = zip;
            return this;
        }

        public Options stallLimit(Duration d) {
            stallLimit = d;
            return this;
        }
    }

    public final Path root;
    public final LocalDiskStorage storage;
    public final ProxyMetrics metrics;
    public final ModuleCache cache;
    private final ProxyOnStorage server;

    public ProxyUnderTest(String upstreamSpec, Path root, Options options) throws Exception {
        this.root = root;
        storage = new LocalDiskStorage(root);
        server = new ProxyOnStorage(upstreamSpec, options.storageView.apply(storage),
                new ProxyMetrics(new SimpleMeterRegistry()), options, (router, cache) -> { });
        metrics = server.metrics;
        cache = server.cache;
    }

    public ProxyUnderTest(String upstreamSpec, Path root) throws Exception {
        this(upstreamSpec, root, new Options());
    }

    public static Options options() {
        return new Options();
    }

    public String url() {
        return server.url();
    }

    public int port() {
        return server.port();
    }

    public HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return server.get(path);
    }

    public HttpResponse<String> getText(String path) throws IOException, InterruptedException {
        return server.getText(path);
    }

    public HttpClient client() {
        return server.client();
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
