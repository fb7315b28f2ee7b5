package dev.modproxy.proxy.testing;

import dev.modproxy.proxy.cache.CacheSettings;
import dev.modproxy.proxy.cache.GoModVerifier;
import dev.modproxy.proxy.cache.InfoVerifier;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.cache.ModuleZipVerifier;
import dev.modproxy.proxy.http.GoProxyRoutes;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.protocol.ModulePathPatterns;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.upstream.UpstreamChain;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/** The proxy's real parts (storage, chain, cache, routes) on a real Vert.x HTTP server on a free port. */
public final class ProxyUnderTest implements AutoCloseable {

    public static final class Options {
        Duration readTimeout = Duration.ofSeconds(5);
        Duration mutableTtl = Duration.ofMinutes(5);
        Duration negativeTtl = Duration.ofMinutes(1);
        int breakerFailures = 5;
        Duration breakerCoolDown = Duration.ofSeconds(30);
        String privatePatterns = "";
        UnaryOperator<Storage> storageView = UnaryOperator.identity();

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
    }

    public final Path root;
    public final LocalDiskStorage storage;
    public final ProxyMetrics metrics;
    public final ModuleCache cache;
    private final Vertx vertx;
    private final HttpServer server;
    private final ExecutorService refresh = Executors.newSingleThreadExecutor();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public ProxyUnderTest(String upstreamSpec, Path root, Options options) throws Exception {
        this.root = root;
        storage = new LocalDiskStorage(root);
        metrics = new ProxyMetrics(new SimpleMeterRegistry());
        UpstreamChain chain = UpstreamChain.parse(upstreamSpec, new UpstreamChain.Settings(Duration.ofSeconds(2),
                options.readTimeout, options.breakerFailures, options.breakerCoolDown), metrics);
        cache = new ModuleCache(options.storageView.apply(storage), chain, List.of(new InfoVerifier(), new GoModVerifier(), new ModuleZipVerifier()),
                new CacheSettings(options.mutableTtl, options.negativeTtl), metrics,
                ModulePathPatterns.parse(options.privatePatterns), refresh);
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        new GoProxyRoutes(cache, metrics, options.mutableTtl, options.negativeTtl, Duration.ofSeconds(10)).install(router);
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get();
    }

    public ProxyUnderTest(String upstreamSpec, Path root) throws Exception {
        this(upstreamSpec, root, new Options());
    }

    public static Options options() {
        return new Options();
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public int port() {
        return server.actualPort();
    }

    public HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(url() + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    public HttpResponse<String> getText(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpClient client() {
        return client;
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get();
        vertx.close().toCompletionStage().toCompletableFuture().get();
        refresh.shutdownNow();
    }
}
