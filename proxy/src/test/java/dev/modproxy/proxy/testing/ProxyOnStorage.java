package dev.modproxy.proxy.testing;

import dev.modproxy.proxy.cache.CacheSettings;
import dev.modproxy.proxy.cache.GoModVerifier;
import dev.modproxy.proxy.cache.InfoVerifier;
import dev.modproxy.proxy.cache.MemoryCache;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.cache.ModuleZipVerifier;
import dev.modproxy.proxy.http.GoProxyRoutes;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.protocol.ModulePathPatterns;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;

/** The proxy's real cache and routes over any {@link Storage}, on a real Vert.x server on a free port. */
public final class ProxyOnStorage implements AutoCloseable {

    public final Storage storage;
    public final ProxyMetrics metrics;
    public final ModuleCache cache;
    private final Vertx vertx;
    private final HttpServer server;
    private final ExecutorService refresh = Executors.newSingleThreadExecutor();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public ProxyOnStorage(String upstreamSpec, Storage storage) throws Exception {
        this(upstreamSpec, storage, new ProxyMetrics(new SimpleMeterRegistry()), (router, cache) -> { });
    }

    /** @param extraRoutes installs more routes (e.g. admin endpoints) before the GOPROXY catch-all */
    public ProxyOnStorage(String upstreamSpec, Storage storage, ProxyMetrics metrics, BiConsumer<Router, ModuleCache> extraRoutes) throws Exception {
        this(upstreamSpec, storage, metrics,
                ProxyUnderTest.options().readTimeout(Duration.ofSeconds(10)).stallLimit(Duration.ofSeconds(30)), extraRoutes);
    }

    ProxyOnStorage(String upstreamSpec, Storage storage, ProxyMetrics metrics, ProxyUnderTest.Options options,
            BiConsumer<Router, ModuleCache> extraRoutes) throws Exception {
        this.storage = storage;
        this.metrics = metrics;
        UpstreamChain chain = UpstreamChain.parse(upstreamSpec, new UpstreamChain.Settings(Duration.ofSeconds(2),
                options.readTimeout, options.breakerFailures, options.breakerCoolDown), metrics);
        cache = new ModuleCache(storage, chain, List.of(new InfoVerifier(), new GoModVerifier(), new ModuleZipVerifier()),
                new CacheSettings(options.mutableTtl, options.negativeTtl, options.textDeadline, options.zipDeadline), metrics,
                ModulePathPatterns.parse(options.privatePatterns), refresh, new MemoryCache(options.memoryCacheBytes, options.clock));
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        extraRoutes.accept(router, cache);
        GoProxyRoutes routes = new GoProxyRoutes(cache, metrics, options.mutableTtl, options.negativeTtl, options.stallLimit);
        // one port here for brevity; the application puts the admin routes on the management port (ProxyAppTest)
        routes.installAdmin(router);
        routes.install(router);
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get();
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
