package dev.modproxy.proxy.testing;

import static org.awaitility.Awaitility.await;

import dev.modproxy.proxy.assembly.ProxyAssembly;
import dev.modproxy.proxy.assembly.ProxySettings;
import dev.modproxy.proxy.cache.MemoryCache;
import dev.modproxy.proxy.cache.ModuleCache;
import dev.modproxy.proxy.metrics.ProxyMetrics;
import dev.modproxy.proxy.storage.Storage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The proxy as production assembles it ({@link ProxyAssembly}: bounded disk storage behind a pass-through,
 * the verifiers in their order, memory tier, routes), on a real Vert.x server on a free port. The
 * checksum database is off unless a test names one, as in the application's test profile.
 */
public final class ProxyUnderTest implements AutoCloseable {

    /** What a test changes: settings (over the defaults below), the storage, the meter registry. */
    public static final class Options {
        private final List<UnaryOperator<ProxySettings.Builder>> settings = new ArrayList<>();
        private UnaryOperator<Storage> storageView;
        private ProxyAssembly.StorageLayers storage;
        private SimpleMeterRegistry registry = new SimpleMeterRegistry();
        private int sendBufferSize = -1;

        private Options set(UnaryOperator<ProxySettings.Builder> setting) {
            settings.add(setting);
            return this;
        }

        /** Bytes for small artifacts in memory (0 turns the memory tier off), and the clock of its rechecks. */
        public Options memoryCache(long bytes, Clock clock) {
            return set(b -> b.memoryCacheSize(String.valueOf(bytes)).clock(clock));
        }

        /** The clock of TTLs, rechecks, access times and the storage's circuit breaker. */
        public Options clock(Clock clock) {
            return set(b -> b.clock(clock));
        }

        public Options readTimeout(Duration d) {
            return set(b -> b.readTimeout(d));
        }

        public Options mutableTtl(Duration d) {
            return set(b -> b.mutableTtl(d));
        }

        public Options negativeTtl(Duration d) {
            return set(b -> b.negativeTtl(d));
        }

        public Options breaker(int failures, Duration coolDown) {
            return set(b -> b.breaker(failures, coolDown));
        }

        public Options privatePatterns(String patterns) {
            return set(b -> b.privatePatterns(patterns));
        }

        /** The longest one upstream may take for a whole .info/.mod/list/@latest, and for a whole .zip. */
        public Options downloadDeadlines(Duration text, Duration zip) {
            return set(b -> b.downloadDeadlines(text, zip));
        }

        public Options stallLimit(Duration d) {
            return set(b -> b.clientStallTimeout(d));
        }

        /** MODPROXY_SUMDB, MODPROXY_NOSUMDB and MODPROXY_SUMDB_REQUIRED (the database is off by default here). */
        public Options sumdb(String gosumdb, String nosumdb, boolean required) {
            return set(b -> b.sumdb(gosumdb).nosumdb(nosumdb).sumdbRequired(required));
        }

        /** MODPROXY_PREFETCH and its bounds (off by default here: most tests count the upstream requests a client causes). */
        public Options prefetch(ProxySettings.Prefetch prefetch) {
            return set(b -> b.prefetch(prefetch));
        }

        /** Lets a test put a different storage in front of the production one (e.g. one without local files). */
        public Options storageView(UnaryOperator<Storage> view) {
            storageView = view;
            return this;
        }

        /** A storage the test builds (and closes) instead of the production layers over the cache root. */
        public Options storage(ProxyAssembly.StorageLayers layers) {
            storage = layers;
            return this;
        }

        /**
         * The server sockets' send buffer (SO_SNDBUF), so that what a client does not read stays in the proxy rather
         * than in the kernel (which may otherwise take up to net.ipv4.tcp_wmem's 4 MiB per connection).
         */
        public Options sendBufferSize(int bytes) {
            sendBufferSize = bytes;
            return this;
        }

        /** Where the proxy's meters go, for tests that read a meter the proxy has no getter for. */
        public Options registry(SimpleMeterRegistry r) {
            registry = r;
            return this;
        }

        /**
         * The production defaults, but: no checksum database, no prefetching, short timeouts, a pass-through
         * directory beside the root.
         */
        ProxySettings settings(String upstreamSpec, Path root) {
            ProxySettings.Builder builder = ProxySettings.defaults(root)
                    .upstream(upstreamSpec)
                    .passThroughDir(root.resolveSibling(root.getFileName() + "-passthrough"))
                    .sumdb("off")
                    .prefetch(new ProxySettings.Prefetch(
                            false, 16, "256Mi", "16Mi", 1000, Duration.ofSeconds(30), Duration.ofMinutes(10)))
                    .connectTimeout(Duration.ofSeconds(2))
                    .readTimeout(Duration.ofSeconds(5))
                    .clientStallTimeout(Duration.ofSeconds(10));
            settings.forEach(setting -> setting.apply(builder));
            return builder.build();
        }
    }

    public final Path root;
    public final ProxyAssembly assembly;
    public final Storage storage;
    public final ProxyMetrics metrics;
    public final ModuleCache cache;
    public final MemoryCache memory;
    private final Storage production;
    private final Vertx vertx;
    private final HttpServer server;
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public ProxyUnderTest(String upstreamSpec, Path root, Options options) throws Exception {
        this.root = root;
        ProxySettings settings = options.settings(upstreamSpec, root);
        if (options.storage != null) {
            production = null;
            assembly = ProxyAssembly.assemble(settings, options.registry, options.storage);
        } else if (options.storageView != null) {
            Storage[] built = new Storage[1];
            assembly = ProxyAssembly.assemble(
                    settings,
                    options.registry,
                    (s, m) -> options.storageView.apply(built[0] = ProxyAssembly.storage(s, m)));
            production = built[0];
        } else {
            production = null;
            assembly = ProxyAssembly.assemble(settings, options.registry);
        }
        storage = assembly.storage();
        metrics = assembly.metrics();
        cache = assembly.cache();
        memory = assembly.memory();
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        // one port here for brevity; the application puts the admin routes on the management port (ProxyAppTest)
        assembly.routes().installManagement(router);
        assembly.routes().installServing(router);
        server = vertx.createHttpServer(new HttpServerOptions().setSendBufferSize(options.sendBufferSize))
                .requestHandler(router)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get();
    }

    public ProxyUnderTest(String upstreamSpec, Path root) throws Exception {
        this(upstreamSpec, root, new Options());
    }

    /** The proxy over a storage the test built (a bucket, a disk made to fail), with the timeouts of a slow test machine. */
    public static ProxyUnderTest onStorage(String upstreamSpec, Storage storage) throws Exception {
        return new ProxyUnderTest(
                upstreamSpec,
                Path.of(System.getProperty("java.io.tmpdir"), "modproxy-unused-root"),
                options()
                        .readTimeout(Duration.ofSeconds(10))
                        .stallLimit(Duration.ofSeconds(30))
                        .storage((s, m) -> storage));
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
        return client.send(
                HttpRequest.newBuilder(URI.create(url() + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    public HttpResponse<String> getText(String path) throws IOException, InterruptedException {
        return client.send(
                HttpRequest.newBuilder(URI.create(url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Asks for path every 100 ms, for up to 10 s, until {@code done} holds (the upstream was asked again, say), and
     * returns the last answer.
     */
    public HttpResponse<String> getTextUntil(String path, Predicate<HttpResponse<String>> done) {
        AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    last.set(getText(path));
                    return done.test(last.get());
                });
        return last.get();
    }

    public HttpClient client() {
        return client;
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get();
        vertx.close().toCompletionStage().toCompletableFuture().get();
        assembly.close();
        if (production instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }
}
