package dev.modproxy.proxy.prefetch;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxySettings;
import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.ForwardingStorageWriter;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.MutableClock;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.upstream.UpstreamChain;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prefetcher against a fake upstream on loopback: what it fetches ahead of a client, its bounds, its
 * cancellation, its share of the single flight, and that it stores nothing the verifiers refuse.
 */
class PrefetchTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    FakeUpstream upstream;
    ProxyUnderTest proxy;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (proxy != null) {
            proxy.close();
        }
        upstream.close();
    }

    private static ProxySettings.Prefetch on(int concurrency, String maxBytes, int queue) {
        return onWithZipsUpTo(concurrency, maxBytes, "16Mi", queue);
    }

    private static ProxySettings.Prefetch onWithZipsUpTo(int concurrency, String maxBytes, String maxZip, int queue) {
        return new ProxySettings.Prefetch(
                true, concurrency, maxBytes, maxZip, queue, Duration.ofSeconds(30), Duration.ofMinutes(10));
    }

    private void startProxy(ProxySettings.Prefetch prefetch) throws Exception {
        proxy = new ProxyUnderTest(
                upstream.url(),
                dir.resolve("cache"),
                ProxyUnderTest.options().prefetch(prefetch).registry(registry).privatePatterns("corp.example.com"));
    }

    /** A proxy whose prefetcher (start window, query window) runs on the returned clock. */
    private MutableClock startProxyWithClock(ProxySettings.Prefetch prefetch) throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        proxy = new ProxyUnderTest(
                upstream.url(),
                dir.resolve("cache"),
                ProxyUnderTest.options().registry(registry).prefetch(prefetch).memoryCache(64 << 20, clock));
        return clock;
    }

    private Prefetcher prefetcher() {
        return proxy.assembly.prefetcher().orElseThrow();
    }

    private void awaitIdle() {
        await().atMost(WAIT).until(() -> prefetcher().idle());
    }

    /** Publishes path@v1.0.0 with a go.mod saying {@code go goVersion} and requiring each of requires at v1.0.0. */
    private void publish(String path, String goVersion, String... requires) {
        StringBuilder goMod = new StringBuilder("module " + path + "\n\ngo " + goVersion + "\n");
        for (String r : requires) {
            goMod.append("\nrequire ").append(r).append(" v1.0.0");
        }
        upstream.on(path + "/@v/v1.0.0.info", FakeUpstream.ok("application/json", Modules.info("v1.0.0")))
                .on(path + "/@v/v1.0.0.mod", FakeUpstream.ok("text/plain", goMod.toString()))
                .on(path + "/@v/v1.0.0.zip", FakeUpstream.ok("application/zip", Modules.zip(path, "v1.0.0")));
    }

    private static String mod(String path) {
        return path + "/@v/v1.0.0.mod";
    }

    private static String zip(String path) {
        return path + "/@v/v1.0.0.zip";
    }

    private static String info(String path) {
        return path + "/@v/v1.0.0.info";
    }

    private double count(String name, String... tags) {
        Counter counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Asks the proxy for path without waiting for the answer. */
    private <T> CompletableFuture<HttpResponse<T>> sendAsync(String path, HttpResponse.BodyHandler<T> body) {
        return proxy.client()
                .sendAsync(
                        HttpRequest.newBuilder(URI.create(proxy.url() + "/" + path))
                                .build(),
                        body);
    }

    private boolean stored(String path) throws Exception {
        return proxy.storage.lookup(new StorageKey(path)).isPresent();
    }

    @Test
    void belowAnUnprunedGoModTheWholeGraphIsFetchedBeforeTheClientAsksAndTheClientGetsItFromTheCache()
            throws Exception {
        publish("example.com/a", "1.16", "example.com/b", "example.com/c", "corp.example.com/secret");
        publish("example.com/b", "1.21", "example.com/d");
        publish("example.com/c", "1.16");
        publish("example.com/d", "1.16");
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());

        // a says go 1.16: the go command reads the go.mod of everything below it, b's requirements included
        await().atMost(WAIT)
                .until(() ->
                        stored(mod("example.com/b")) && stored(mod("example.com/c")) && stored(mod("example.com/d")));
        await().atMost(WAIT).until(() -> stored(zip("example.com/a")) && stored(info("example.com/a")));
        awaitIdle();
        assertEquals(0, upstream.hits(mod("corp.example.com/secret")), "a private module is never asked upstream");
        assertEquals(
                0, upstream.hits(zip("example.com/b")), "a go.mod read only to walk the graph does not bring its zip");

        for (String path :
                List.of(mod("example.com/b"), mod("example.com/c"), mod("example.com/d"), zip("example.com/a"))) {
            assertEquals(200, proxy.get("/" + path).statusCode(), path);
            assertEquals(1, upstream.hits(path), path + " fetched once, by the prefetch");
        }
        assertEquals(3, count("modproxy.prefetch.used", "kind", "mod"));
        assertEquals(1, count("modproxy.prefetch.used", "kind", "zip"));
        assertTrue(count("modproxy.prefetch.issued", "kind", "mod") >= 3);
    }

    /**
     * A go.mod that replaces modules of its own repository requires them at the go command's placeholder, the
     * pseudo-version of no commit (v0.0.0-00010101000000-000000000000): no upstream has it, and no client fetches it
     * (a client that builds such a module replaces them too).
     */
    @Test
    void aPlaceholderVersionThatAReplaceStandsForIsNeverPrefetched() throws Exception {
        String placeholder = "example.com/a/internal/tool/@v/v0.0.0-00010101000000-000000000000.mod";
        String beforeARelease = "example.com/a/api/@v/v1.2.0-pre.0.00010101000000-000000000000.mod";
        upstream.on(info("example.com/a"), FakeUpstream.ok("application/json", Modules.info("v1.0.0")))
                .on(
                        mod("example.com/a"),
                        FakeUpstream.ok(
                                "text/plain",
                                "module example.com/a\n\ngo 1.16\n\nrequire (\n"
                                        + "\texample.com/a/api v1.2.0-pre.0.00010101000000-000000000000\n"
                                        + "\texample.com/a/internal/tool v0.0.0-00010101000000-000000000000\n"
                                        + "\texample.com/b v1.0.0\n)\n\n"
                                        + "replace example.com/a/internal/tool => ./internal/tool\n"
                                        + "replace example.com/a/api => ./api\n"))
                .on(zip("example.com/a"), FakeUpstream.ok("application/zip", Modules.zip("example.com/a", "v1.0.0")));
        publish("example.com/b", "1.16");
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        await().atMost(WAIT).until(() -> stored(mod("example.com/b")));
        awaitIdle();

        assertEquals(0, upstream.hits(placeholder));
        assertEquals(0, upstream.hits(beforeARelease));
        assertEquals(1, upstream.hits(mod("example.com/b")), "the real requirement beside them is prefetched");
    }

    @Test
    void belowAPrunedGoModNothingIsFetchedUntilAClientWalksThere() throws Exception {
        publish("example.com/a", "1.21", "example.com/b");
        publish("example.com/b", "1.16", "example.com/c");
        publish("example.com/c", "1.16");
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        await().atMost(WAIT).until(() -> stored(zip("example.com/a")));
        awaitIdle();

        // with graph pruning the go command reads no go.mod below a: the ones it builds with are in its own go.mod
        assertEquals(0, upstream.hits(mod("example.com/b")));
        assertEquals(0, upstream.hits(mod("example.com/c")));
        assertEquals(1, upstream.hits(zip("example.com/a")), "a's zip: a client that reads a root's go.mod builds it");
        assertEquals(0, count("modproxy.prefetch.issued", "kind", "mod"));

        // a client that asks for b (go 1.16, unpruned) reads everything below it: from there the walk is prefetched
        assertEquals(200, proxy.get("/" + mod("example.com/b")).statusCode());
        await().atMost(WAIT).until(() -> stored(mod("example.com/c")));
        awaitIdle();
        assertEquals(200, proxy.get("/" + mod("example.com/c")).statusCode());
        assertEquals(1, upstream.hits(mod("example.com/c")), "c's go.mod fetched once, by the prefetch");
    }

    @Test
    void aWarmBuildAskingForAPrunedGoModAgainAndAgainGivesThePrefetchThreadsNothingMoreToDo() throws Exception {
        publish("example.com/a", "1.21", "example.com/b");
        publish("example.com/b", "1.21");
        startProxy(on(4, "256Mi", 100));
        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode()); // a hit: its requirements are read
        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode()); // hints .zip and .mod, once
        await().atMost(WAIT).until(() -> stored(zip("example.com/a")));
        awaitIdle();
        long tasks = prefetcher().tasksSubmitted();

        for (int i = 0; i < 200; i++) {
            assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
            assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());
        }
        awaitIdle();

        // every hit used to queue a fresh reading of a's go.mod (a worker's turn each); nothing new is learned
        assertEquals(tasks, prefetcher().tasksSubmitted(), "prefetch tasks submitted by 400 cache hits");
        assertEquals(0, upstream.hits(mod("example.com/b")), "nothing below a pruned go.mod");
        assertEquals(1, upstream.hits(mod("example.com/a")));
    }

    @Test
    void aProbedPathThatIsNoModuleCostsASmallGoModAskAndNoZipAndAFoundInfoPredictsTheDownload() throws Exception {
        publish("example.com/a", "1.21");
        startProxy(on(4, "256Mi", 100));
        String probe = "example.com/a/internal/@v/v1.0.0.info"; // the go command tries each prefix of a package path

        assertEquals(404, proxy.get("/" + probe).statusCode());
        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());

        await().atMost(WAIT).until(() -> stored(zip("example.com/a")) && stored(mod("example.com/a")));
        awaitIdle();
        assertEquals(1, upstream.hits(probe));
        assertEquals(0, upstream.hits("example.com/a/internal/@v/v1.0.0.zip"), "no zip predicted from a 404");
        assertEquals(1, upstream.hits("example.com/a/internal/@v/v1.0.0.mod"), "asked beside the .info");
        assertEquals(1, upstream.hits(zip("example.com/a")));
        assertEquals(1, upstream.hits(mod("example.com/a")));
        assertEquals(1.0, count("modproxy.prefetch.issued", "kind", "zip"));
    }

    @Test
    void aColdInfoHasItsGoModFetchedAlongsideSoTheGoModAskedNextIsNoSecondRoundTrip() throws Exception {
        publish("example.com/a", "1.21");
        // the upstream answers the .info only once the .mod was asked: a prefetch that waited for the .info to
        // land would leave the client waiting until the upstream gives up on it
        upstream.on(
                info("example.com/a"),
                upstream.onceAsked(mod("example.com/a"), FakeUpstream.ok("application/json", Modules.info("v1.0.0"))));
        startProxy(on(4, "256Mi", 100));

        assertEquals(
                200,
                proxy.get("/" + info("example.com/a")).statusCode(),
                "the .info, answered once the .mod was asked");
        await().atMost(WAIT).until(() -> stored(mod("example.com/a")) && stored(zip("example.com/a")));
        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        awaitIdle();
        assertEquals(1, upstream.hits(mod("example.com/a")));
        assertEquals(1.0, count("modproxy.prefetch.issued", "kind", "mod"));
        assertEquals(1.0, count("modproxy.prefetch.used", "kind", "mod"));
    }

    @Test
    void aClientWalkingTheBuildListHasTheRestOfAGraphGoModsRequirementsPrefetchedAtTheFirstOfThem() throws Exception {
        // go mod download all / go list -m all: load the graph (a's go.mod), then each module's .info and .mod
        publish("example.com/a", "1.21", "example.com/b", "example.com/c", "example.com/d");
        publish("example.com/b", "1.21", "example.com/e");
        publish("example.com/c", "1.21");
        publish("example.com/d", "1.21");
        publish("example.com/e", "1.21");
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        // the .mod brings its .info; asked before that prefetch is even queued, the client would fetch it itself
        await().atMost(WAIT).until(() -> stored(info("example.com/a")));
        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());
        awaitIdle();
        assertEquals(0, upstream.hits(info("example.com/c")), "nothing below a's go.mod before a client walks there");

        assertEquals(200, proxy.get("/" + info("example.com/b")).statusCode());

        await().atMost(WAIT)
                .until(() -> stored(info("example.com/c"))
                        && stored(mod("example.com/c"))
                        && stored(info("example.com/d"))
                        && stored(mod("example.com/d")));
        assertEquals(200, proxy.get("/" + mod("example.com/b")).statusCode());
        for (String path :
                List.of(info("example.com/c"), mod("example.com/c"), info("example.com/d"), mod("example.com/d"))) {
            assertEquals(200, proxy.get("/" + path).statusCode(), path);
        }
        awaitIdle();
        for (String path :
                List.of(info("example.com/b"), mod("example.com/b"), info("example.com/c"), mod("example.com/c"))) {
            assertEquals(1, upstream.hits(path), path + " fetched once");
        }
        assertEquals(3.0, count("modproxy.prefetch.used", "kind", "info"), "a's (its go.mod was got), c's, d's");
        // b's go.mod was read after its .info (a module of the list, not one the graph was loaded from)
        assertEquals(0, upstream.hits(info("example.com/e")), "nothing below a module of the list");
        assertEquals(0, upstream.hits(mod("example.com/e")), "nothing below a module of the list");
    }

    @Test
    void aBuildThatAsksForTheInfoOfModulesItLoadedItsGraphFromHasNothingBelowThemPrefetched() throws Exception {
        // go build: the go.mods of the main module's requirements (a requires b, and the main module needs both),
        // then their zips and .infos; c, required only by a, is never asked for
        publish("example.com/a", "1.21", "example.com/b", "example.com/c");
        publish("example.com/b", "1.21");
        publish("example.com/c", "1.21");
        startProxy(on(4, "256Mi", 100));

        for (String module : List.of("example.com/a", "example.com/b")) {
            assertEquals(200, proxy.get("/" + mod(module)).statusCode());
        }
        awaitIdle();
        for (String module : List.of("example.com/a", "example.com/b")) {
            assertEquals(200, proxy.get("/" + zip(module)).statusCode());
            assertEquals(200, proxy.get("/" + info(module)).statusCode());
        }
        awaitIdle();

        assertEquals(0, upstream.hits(info("example.com/c")), "b's .info is a build's: no walk of a's requirements");
        assertEquals(0, upstream.hits(mod("example.com/c")));
    }

    @Test
    void aColdZipHasItsGoModAndInfoFetchedAlongsideAsABuildAsksForThemNext() throws Exception {
        publish("example.com/a", "1.21");
        // the upstream answers the zip only once the .mod was asked: a build asks for the zip, then the .mod
        upstream.on(
                zip("example.com/a"),
                upstream.onceAsked(
                        mod("example.com/a"),
                        FakeUpstream.ok("application/zip", Modules.zip("example.com/a", "v1.0.0"))));
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/" + zip("example.com/a")).statusCode(), "the zip, answered once .mod was asked");
        await().atMost(WAIT).until(() -> stored(mod("example.com/a")) && stored(info("example.com/a")));
        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());
        awaitIdle();
        for (String path : List.of(zip("example.com/a"), mod("example.com/a"), info("example.com/a"))) {
            assertEquals(1, upstream.hits(path), path + " fetched once");
        }
        assertEquals(1.0, count("modproxy.prefetch.used", "kind", "mod"));
        assertEquals(1.0, count("modproxy.prefetch.used", "kind", "info"));
    }

    @Test
    void aBuildsGoModBroughtBesideItsZipStillCountsAsReadToLoadTheGraph() throws Exception {
        // go build reads a (zip, .mod, .info); a client walking the build list then asks for c, which a requires
        publish("example.com/a", "1.21", "example.com/b", "example.com/c", "example.com/d");
        publish("example.com/b", "1.21");
        publish("example.com/c", "1.21");
        publish("example.com/d", "1.21");
        startProxy(on(4, "256Mi", 100));
        assertEquals(200, proxy.get("/" + zip("example.com/a")).statusCode());
        await().atMost(WAIT).until(() -> stored(mod("example.com/a")));
        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());
        awaitIdle();
        assertEquals(0, upstream.hits(info("example.com/b")), "a build asks for nothing below a");

        assertEquals(200, proxy.get("/" + info("example.com/c")).statusCode());

        await().atMost(WAIT)
                .until(() -> stored(info("example.com/b"))
                        && stored(mod("example.com/b"))
                        && stored(info("example.com/d"))
                        && stored(mod("example.com/d")));
    }

    @Test
    void aGoModOfAVersionThatDoesNotExistCostsOneUpstreamRequestAndAFoundOnePredictsTheRest() throws Exception {
        publish("example.com/a", "1.21");
        startProxy(on(4, "256Mi", 100));
        // a go.mod that requires a version its module never had: the go command asks for the .mod, and only it
        String missing = "example.com/a/@v/v1.9.9.mod";

        assertEquals(404, proxy.get("/" + missing).statusCode());
        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());

        await().atMost(WAIT).until(() -> stored(zip("example.com/a")) && stored(info("example.com/a")));
        awaitIdle();
        assertEquals(1, upstream.hits(missing));
        assertEquals(0, upstream.hits("example.com/a/@v/v1.9.9.info"), "nothing predicted from a 404");
        assertEquals(0, upstream.hits("example.com/a/@v/v1.9.9.zip"));
        assertEquals(1, upstream.hits(zip("example.com/a")));
        assertEquals(1, upstream.hits(info("example.com/a")));
    }

    @Test
    void aClientJoiningAPrefetchedInfoStillHasTheDownloadPredicted() throws Exception {
        publish("example.com/a", "1.16", "example.com/b");
        publish("example.com/b", "1.16");
        AtomicInteger started = new AtomicInteger();
        upstream.on(info("example.com/b"), exchange -> {
            started.incrementAndGet();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = Modules.info("v1.0.0").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        });
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        await().atMost(WAIT).until(() -> stored(mod("example.com/b"))); // walked below a's unpruned go.mod
        assertEquals(200, proxy.get("/" + mod("example.com/b")).statusCode()); // predicts b.info, not b's zip yet
        await().atMost(WAIT).until(() -> started.get() == 1);
        CompletableFuture<HttpResponse<String>> joined =
                sendAsync(info("example.com/b"), HttpResponse.BodyHandlers.ofString());
        await().atMost(WAIT).until(() -> count("modproxy.coalesced.waits", "kind", "info") == 1); // joined
        release.countDown();

        assertEquals(200, joined.get(30, TimeUnit.SECONDS).statusCode());
        await().atMost(WAIT).until(() -> count("modproxy.prefetch.used", "kind", "info") == 1);
        await().atMost(WAIT).until(() -> stored(zip("example.com/b")));
        awaitIdle();
        assertEquals(1, upstream.hits(zip("example.com/b")));
    }

    /** Publishes path's version list: v1.0.0 and v1.1.0, with v1.1.0 a version like publish's; its zip. */
    private byte[] publishUpgrade(String path) {
        String v = path + "/@v/v1.1.0";
        byte[] zip = Modules.zip(path, "v1.1.0"); // once: a zip entry's time is the time it was written
        upstream.on(path + "/@v/list", FakeUpstream.ok("text/plain", "v1.0.0\nv1.1.0\n"))
                .on(path + "/@latest", FakeUpstream.ok("application/json", Modules.info("v1.1.0")))
                .on(v + ".info", FakeUpstream.ok("application/json", Modules.info("v1.1.0")))
                .on(v + ".mod", FakeUpstream.ok("text/plain", "module " + path + "\n\ngo 1.21\n"))
                .on(v + ".zip", FakeUpstream.ok("application/zip", zip));
        return zip;
    }

    @Test
    void anInfoOrGoModRightAfterTheModulesListOrLatestIsAQueryAndBringsNoZip() throws Exception {
        // go list -m -u all: list, then the newest version's .info and .mod; go get M@latest: @latest, .info, .mod
        publishUpgrade("example.com/a");
        byte[] zipOfB = publishUpgrade("example.com/b");
        publishUpgrade("example.com/c");
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/example.com/a/@v/list").statusCode());
        assertEquals(200, proxy.get("/example.com/a/@v/v1.1.0.info").statusCode()); // fetched for the client
        assertEquals(200, proxy.get("/example.com/b/@latest").statusCode());
        assertEquals(200, proxy.get("/example.com/b/@v/v1.1.0.mod").statusCode());
        assertEquals(200, proxy.get("/example.com/c/@v/list").statusCode());
        assertEquals(200, proxy.get("/example.com/c/@v/v1.1.0.info").statusCode());
        assertEquals(200, proxy.get("/example.com/c/@v/v1.1.0.info").statusCode()); // a cache hit: the asked path

        // each still brings the other (tiny): the query reads both
        await().atMost(WAIT)
                .until(() -> stored("example.com/a/@v/v1.1.0.mod") && stored("example.com/b/@v/v1.1.0.info"));
        awaitIdle();
        for (String module : List.of("example.com/a", "example.com/b", "example.com/c")) {
            assertEquals(0, upstream.hits(module + "/@v/v1.1.0.zip"), module + ": a query's version is not downloaded");
        }
        assertEquals(0.0, count("modproxy.prefetch.issued", "kind", "zip"));

        // go get M@latest then asks for the zip itself: fetched for it as any miss
        HttpResponse<byte[]> got = proxy.get("/example.com/b/@v/v1.1.0.zip");
        assertEquals(200, got.statusCode());
        assertTrue(Arrays.equals(zipOfB, got.body()));
        assertEquals(1, upstream.hits("example.com/b/@v/v1.1.0.zip"));
    }

    @Test
    void aQueryOfOneModuleLeavesTheDownloadsOfOthersPredicted() throws Exception {
        publishUpgrade("example.com/a");
        publish("example.com/b", "1.21");
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/example.com/a/@v/list").statusCode());
        assertEquals(200, proxy.get("/" + info("example.com/b")).statusCode());

        await().atMost(WAIT).until(() -> stored(zip("example.com/b")));
        awaitIdle();
        assertEquals(1.0, count("modproxy.prefetch.issued", "kind", "zip"));
    }

    @Test
    void aBuildAfterTheQueryWindowHasItsZipsPrefetchedAgain() throws Exception {
        publishUpgrade("example.com/a");
        MutableClock clock = startProxyWithClock(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/example.com/a/@v/list").statusCode());
        assertEquals(200, proxy.get("/example.com/a/@v/v1.1.0.info").statusCode());
        await().atMost(WAIT).until(() -> stored("example.com/a/@v/v1.1.0.mod"));
        awaitIdle();
        assertEquals(0, upstream.hits("example.com/a/@v/v1.1.0.zip"));

        // a build that asks for the version once the query is over: its download is predicted as always
        clock.advance(Prefetcher.QUERY_WINDOW.plusSeconds(1));
        assertEquals(200, proxy.get("/example.com/a/@v/v1.1.0.info").statusCode());
        await().atMost(WAIT).until(() -> stored("example.com/a/@v/v1.1.0.zip"));
        awaitIdle();
        assertEquals(1, upstream.hits("example.com/a/@v/v1.1.0.zip"));
        assertEquals(1.0, count("modproxy.prefetch.issued", "kind", "zip"));
    }

    @Test
    void aListThatTookLongerThanTheWindowUpstreamStillMarksTheQuery() throws Exception {
        publishUpgrade("example.com/a");
        AtomicInteger started = new AtomicInteger();
        upstream.on("example.com/a/@v/list", exchange -> {
            started.incrementAndGet();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeUpstream.ok("text/plain", "v1.0.0\nv1.1.0\n").answer(exchange);
        });
        MutableClock clock = startProxyWithClock(on(4, "256Mi", 100));

        CompletableFuture<HttpResponse<String>> list =
                sendAsync("example.com/a/@v/list", HttpResponse.BodyHandlers.ofString());
        await().atMost(WAIT).until(() -> started.get() == 1);
        clock.advance(Prefetcher.QUERY_WINDOW.plusSeconds(5)); // longer than the window since the client asked
        release.countDown();
        assertEquals(200, list.get(30, TimeUnit.SECONDS).statusCode());

        // the client reads the version it chose now, right after the list
        assertEquals(200, proxy.get("/example.com/a/@v/v1.1.0.info").statusCode());
        await().atMost(WAIT).until(() -> stored("example.com/a/@v/v1.1.0.mod"));
        awaitIdle();
        assertEquals(0, upstream.hits("example.com/a/@v/v1.1.0.zip"));
    }

    @Test
    void aToolchainsInfoAndGoModBringNoZip() throws Exception {
        // go get go@1.25 and go list -m -versions golang.org/toolchain read the .info and .mod of toolchains they
        // never switch to; a switch asks for the zip (60-100 MB) first and nothing else
        String toolchain = "golang.org/toolchain/@v/v0.0.1-go1.25.5.linux-amd64";
        upstream.on(
                        toolchain + ".info",
                        FakeUpstream.ok("application/json", Modules.info("v0.0.1-go1.25.5.linux-amd64")))
                .on(toolchain + ".mod", FakeUpstream.ok("text/plain", "module golang.org/toolchain\n"))
                .on(
                        toolchain + ".zip",
                        FakeUpstream.ok(
                                "application/zip", Modules.zip("golang.org/toolchain", "v0.0.1-go1.25.5.linux-amd64")));
        publish("example.com/a", "1.21");
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/" + toolchain + ".info").statusCode());
        assertEquals(200, proxy.get("/" + toolchain + ".mod").statusCode());
        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());

        await().atMost(WAIT).until(() -> stored(zip("example.com/a"))); // predicted after the toolchain's were
        awaitIdle();
        assertEquals(0, upstream.hits(toolchain + ".zip"));
        assertEquals(1.0, count("modproxy.prefetch.issued", "kind", "zip"), "only the module's zip");
    }

    @Test
    void switchedOffTheProxyAsksTheUpstreamOnlyForWhatClientsAsk() throws Exception {
        publish("example.com/a", "1.16", "example.com/b");
        publish("example.com/b", "1.16");
        startProxy(new ProxySettings.Prefetch(
                false, 4, "256Mi", "16Mi", 100, Duration.ofSeconds(30), Duration.ofMinutes(10)));

        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());
        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());

        assertTrue(proxy.assembly.prefetcher().isEmpty(), "no prefetcher runs");
        assertEquals(2, upstream.totalHits(), "the two requests the client made, nothing else");
        assertEquals(
                0, count("modproxy.prefetch.issued", "kind", "zip") + count("modproxy.prefetch.issued", "kind", "mod"));
    }

    @Test
    void aChainThatStartsWithDirectOrOffHasNothingToPrefetch() throws Exception {
        for (String chain : List.of("direct", "off")) {
            try (ProxyUnderTest direct = new ProxyUnderTest(
                    chain, dir.resolve(chain), ProxyUnderTest.options().prefetch(on(4, "256Mi", 100)))) {
                assertTrue(direct.assembly.prefetcher().isEmpty(), chain);
            }
        }
    }

    @Test
    void noMoreThanTheConcurrencyLimitRunsAndAClientIsAnsweredWhilePrefetchesHang() throws Exception {
        List<String> deps = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            deps.add("example.com/dep" + i);
        }
        publish("example.com/a", "1.16", deps.toArray(String[]::new));
        upstream.on(info("example.com/a"), FakeUpstream.status(404, "gone"))
                .on(zip("example.com/a"), FakeUpstream.status(404, "gone"));
        AtomicInteger now = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        for (String dep : deps) {
            upstream.on(mod(dep), exchange -> {
                most.accumulateAndGet(now.incrementAndGet(), Math::max);
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                now.decrementAndGet();
                FakeUpstream.ok(
                                "text/plain",
                                "module "
                                        + exchange.getRequestURI()
                                                .getPath()
                                                .substring(1)
                                                .split("/@v/")[0] + "\n\ngo 1.16\n")
                        .answer(exchange);
            });
        }
        publish("example.com/other", "1.21");
        startProxy(on(2, "256Mi", 100));

        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        await().atMost(WAIT).until(() -> now.get() == 2 && prefetcher().queued() == 6);
        assertEquals(2, prefetcher().running());

        // every prefetch slot is stuck on a slow upstream: a client's own request does not wait for them
        HttpResponse<byte[]> other = proxy.get("/" + info("example.com/other"));
        assertEquals(200, other.statusCode());

        release.countDown();
        awaitIdle();
        for (String dep : deps) {
            assertTrue(stored(mod(dep)), dep);
        }
        assertEquals(2, most.get(), "never more than 2 prefetches upstream at once");
    }

    @Test
    void aFullQueueDropsPrefetchesAndCountsThem() throws Exception {
        List<String> deps = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            deps.add("example.com/dep" + i);
        }
        publish("example.com/a", "1.16", deps.toArray(String[]::new));
        // the one worker is kept busy by a's .info until released
        upstream.on(info("example.com/a"), exchange -> {
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    FakeUpstream.status(404, "gone").answer(exchange);
                })
                .on(zip("example.com/a"), FakeUpstream.status(404, "gone"));
        for (String dep : deps) {
            publish(dep, "1.21");
        }
        startProxy(on(1, "256Mi", 3));

        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        release.countDown();
        awaitIdle();

        // a's go.mod predicts its .info (the worker's) and zip (queued), and its 6 requirements meet a queue of 3
        // with one place taken: 2 fit, 4 are dropped
        assertEquals(4.0, count("modproxy.prefetch.dropped", "reason", "queue_full"));
        assertEquals(2, deps.stream().filter(d -> upstream.hits(mod(d)) == 1).count());
        assertEquals(4, deps.stream().filter(d -> upstream.hits(mod(d)) == 0).count());
    }

    /**
     * Prefetches that come one after another are run by one thread, not by a new one each up to the concurrency: the
     * threads an idle proxy keeps (for a minute) are those its prefetches needed at once.
     */
    @Test
    void prefetchesOneAfterAnotherAreRunByOneThread() throws Exception {
        List<String> modules = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            modules.add("example.com/one" + i);
            publish(modules.get(i), "1.21");
        }
        long lastThreadBefore = Thread.getAllStackTraces().keySet().stream()
                .mapToLong(Thread::getId)
                .max()
                .orElseThrow();
        // no zip is prefetched: a cold .info predicts its .mod alone, one prefetch a request
        startProxy(onWithZipsUpTo(8, "256Mi", "0", 100));

        for (String module : modules) {
            assertEquals(200, proxy.get("/" + info(module)).statusCode());
            await().atMost(WAIT).until(() -> stored(mod(module)));
            awaitIdle();
            // the thread that ran it waits for the next one (TIMED_WAITING: its idle minute) before that is asked
            await().atMost(WAIT)
                    .until(() -> prefetchThreadsSince(lastThreadBefore).stream()
                            .allMatch(t -> t.getState() == Thread.State.TIMED_WAITING));
        }

        assertEquals(12, count("modproxy.prefetch.issued", "kind", "mod"));
        assertEquals(1, prefetchThreadsSince(lastThreadBefore).size(), "prefetch threads made for 12 prefetches");
    }

    private static List<Thread> prefetchThreadsSince(long lastThreadBefore) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getId() > lastThreadBefore && t.getName().equals("modproxy-prefetch"))
                .toList();
    }

    @Test
    void aPrefetchNotStartedWithinItsWindowIsDropped() throws Exception {
        publish("example.com/a", "1.16", "example.com/b", "example.com/c");
        upstream.on(info("example.com/a"), FakeUpstream.status(404, "gone"))
                .on(zip("example.com/a"), FakeUpstream.status(404, "gone"));
        upstream.on(mod("example.com/b"), exchange -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeUpstream.ok("text/plain", "module example.com/b\n\ngo 1.16\n").answer(exchange);
        });
        publish("example.com/c", "1.16");
        MutableClock clock = startProxyWithClock(on(1, "256Mi", 100));

        assertEquals(200, proxy.get("/" + mod("example.com/a")).statusCode());
        await().atMost(WAIT).until(() -> upstream.hits(mod("example.com/b")) == 1);
        clock.advance(Duration.ofMinutes(1)); // c has waited a minute behind b for the only slot
        release.countDown();
        awaitIdle();

        assertEquals(0, upstream.hits(mod("example.com/c")), "c waited longer than its window behind b");
        assertTrue(count("modproxy.prefetch.dropped", "reason", "expired") >= 1);
    }

    /** A zip of about 12 KB that does not compress, in a valid module layout. */
    private static byte[] bigZip(String path) {
        Random random = new Random(42);
        StringBuilder noise = new StringBuilder("package big\n\n// ");
        for (int i = 0; i < 16_000; i++) {
            noise.append((char) ('a' + random.nextInt(26)));
        }
        Map<String, String> files = new LinkedHashMap<>();
        files.put("go.mod", "module " + path + "\n\ngo 1.21\n");
        files.put("big.go", noise.append('\n').toString());
        return Modules.zipOf(path + "@v1.0.0/", files);
    }

    /** Sends the zip without a length (chunked): 1 KB, then the rest once the test releases it. */
    private FakeUpstream.Behaviour chunkedAfterRelease(byte[] body, AtomicInteger started) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/zip");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write(body, 0, 1024);
            out.flush();
            started.incrementAndGet();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write(body, 1024, body.length - 1024);
        };
    }

    @Test
    void aPrefetchOverTheByteBudgetIsCancelledAndNothingIsStored() throws Exception {
        byte[] big = bigZip("example.com/big");
        AtomicInteger started = new AtomicInteger();
        publish("example.com/big", "1.21");
        upstream.on(zip("example.com/big"), chunkedAfterRelease(big, started));
        startProxy(on(4, "4096", 100));

        assertEquals(200, proxy.get("/" + info("example.com/big")).statusCode());
        await().atMost(WAIT).until(() -> started.get() == 1);
        release.countDown();
        awaitIdle();

        assertEquals(1.0, count("modproxy.prefetch.wasted", "kind", "zip", "reason", "cancelled"));
        assertTrue(!stored(zip("example.com/big")), "a cancelled prefetch leaves nothing in the cache");
        assertEquals(0, prefetcher().bytesInFlight(), "its bytes are back in the budget");

        // the client still gets the zip, fetched for it
        HttpResponse<byte[]> got = proxy.get("/" + zip("example.com/big"));
        assertEquals(200, got.statusCode());
        assertTrue(Arrays.equals(big, got.body()));
    }

    /** A valid module zip of about {@code size} bytes that does not compress. */
    private static byte[] zipOfAbout(String path, int size) {
        byte[] noise = new byte[size];
        new Random(7).nextBytes(noise);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("go.mod", ("module " + path + "\n\ngo 1.21\n").getBytes(StandardCharsets.UTF_8));
        files.put("testdata/noise.bin", noise);
        return Modules.zipOfBytes(path + "@v1.0.0/", files);
    }

    /**
     * Sends the zip in 64 KiB writes, announcing its length or not (chunked), and counts the bytes the connection
     * took; {@code ended} once the answer is over, sent whole or cut off by the proxy.
     */
    private static FakeUpstream.Behaviour countingBytesSent(
            byte[] body, boolean announced, AtomicLong sent, CountDownLatch ended) {
        return exchange -> {
            try {
                exchange.getResponseHeaders().set("Content-Type", "application/zip");
                exchange.sendResponseHeaders(200, announced ? body.length : 0);
                OutputStream out = exchange.getResponseBody();
                for (int at = 0; at < body.length; at += 65536) {
                    int n = Math.min(65536, body.length - at);
                    out.write(body, at, n);
                    out.flush();
                    sent.addAndGet(n);
                }
            } finally {
                ended.countDown();
            }
        };
    }

    /**
     * What a go list -m, gopls or Renovate-like read of go.mods costs the upstream link: each .mod a client gets
     * predicts its version's zip. A zip over the bound is not stored, nor read to its end; a small one is prefetched
     * as before; asked again, the go.mod does not send the large zip's prefetch upstream again.
     */
    private void aZipOverTheBoundAskedOnlyThroughItsGoModIsNeitherReadNorStored(boolean announced) throws Exception {
        byte[] large = zipOfAbout("example.com/large", 24 << 20);
        AtomicLong sent = new AtomicLong();
        CountDownLatch ended = new CountDownLatch(1);
        publish("example.com/large", "1.21");
        publish("example.com/small", "1.21");
        upstream.on(zip("example.com/large"), countingBytesSent(large, announced, sent, ended));
        startProxy(onWithZipsUpTo(4, "256Mi", "1Mi", 100));

        assertEquals(200, proxy.get("/" + mod("example.com/large")).statusCode());
        assertEquals(200, proxy.get("/" + mod("example.com/small")).statusCode());
        await().atMost(WAIT).until(() -> stored(zip("example.com/small")));
        assertTrue(ended.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the upstream's answer ended");
        awaitIdle();

        assertTrue(!stored(zip("example.com/large")), "a zip over the bound is not stored");
        assertTrue(
                sent.get() < large.length / 2,
                "the proxy hung up instead of reading the zip to its end: the upstream sent " + sent.get() + " of "
                        + large.length + " bytes");
        assertEquals(1.0, count("modproxy.prefetch.wasted", "kind", "zip", "reason", "too_large"));
        assertEquals(0.0, count("modproxy.prefetch.wasted", "kind", "zip", "reason", "cancelled"));
        assertEquals(0, prefetcher().bytesInFlight(), "its bytes are back in the budget");

        // asked again (an IDE reloading, a tool polling), the go.mod does not bring the large zip again
        assertEquals(200, proxy.get("/" + mod("example.com/large")).statusCode());
        awaitIdle();
        assertEquals(1, upstream.hits(zip("example.com/large")));

        // a client that wants it gets it whole, fetched for it, verified and stored
        HttpResponse<byte[]> got = proxy.get("/" + zip("example.com/large"));
        assertEquals(200, got.statusCode());
        assertTrue(Arrays.equals(large, got.body()));
        assertTrue(stored(zip("example.com/large")));
    }

    @Test
    void aZipPrefetchWhoseAnnouncedLengthIsOverTheBoundStopsAtTheHeaders() throws Exception {
        aZipOverTheBoundAskedOnlyThroughItsGoModIsNeitherReadNorStored(true);
    }

    @Test
    void aZipPrefetchWithoutALengthStopsOnceItPassesTheBound() throws Exception {
        aZipOverTheBoundAskedOnlyThroughItsGoModIsNeitherReadNorStored(false);
    }

    /** Waits for the test's release before it answers, then sends the zip with its length. */
    private FakeUpstream.Behaviour announcedAfterRelease(byte[] body, AtomicInteger started) {
        return exchange -> {
            started.incrementAndGet();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeUpstream.ok("application/zip", body).answer(exchange);
        };
    }

    /** A client asks for the zip while its prefetch is on the wire: the bound no longer applies, it gets it whole. */
    private void aClientJoiningAZipPrefetchOverTheBoundGetsItWhole(FakeUpstream.Behaviour answer, AtomicInteger started)
            throws Exception {
        byte[] big = bigZip("example.com/big");
        publish("example.com/big", "1.21");
        upstream.on(zip("example.com/big"), answer);
        startProxy(onWithZipsUpTo(4, "256Mi", "4096", 100)); // less than the zip: alone, this prefetch would stop

        assertEquals(200, proxy.get("/" + mod("example.com/big")).statusCode());
        await().atMost(WAIT).until(() -> started.get() == 1);
        CompletableFuture<HttpResponse<byte[]>> client =
                sendAsync(zip("example.com/big"), HttpResponse.BodyHandlers.ofByteArray());
        await().atMost(WAIT).until(() -> count("modproxy.coalesced.waits", "kind", "zip") == 1); // joined
        release.countDown();

        HttpResponse<byte[]> got = client.get(30, TimeUnit.SECONDS);
        assertEquals(200, got.statusCode());
        assertTrue(Arrays.equals(big, got.body()));
        assertEquals(1, upstream.hits(zip("example.com/big")), "the client joined the prefetch's download");
        awaitIdle();
        assertEquals(0.0, count("modproxy.prefetch.wasted", "kind", "zip", "reason", "too_large"));
        assertEquals(1.0, count("modproxy.prefetch.used", "kind", "zip"));
        assertTrue(stored(zip("example.com/big")), "verified and stored for the client");
    }

    @Test
    void aClientJoiningAZipPrefetchWhoseLengthIsAnnouncedOverTheBoundGetsItWhole() throws Exception {
        AtomicInteger started = new AtomicInteger();
        aClientJoiningAZipPrefetchOverTheBoundGetsItWhole(
                announcedAfterRelease(bigZip("example.com/big"), started), started);
    }

    @Test
    void aClientJoiningAZipPrefetchWithoutALengthThatPassesTheBoundGetsItWhole() throws Exception {
        AtomicInteger started = new AtomicInteger();
        aClientJoiningAZipPrefetchOverTheBoundGetsItWhole(
                chunkedAfterRelease(bigZip("example.com/big"), started), started);
    }

    @Test
    void aZipBoundOfZeroPrefetchesNoZipAndStillTheGoMods() throws Exception {
        publish("example.com/a", "1.21");
        startProxy(onWithZipsUpTo(4, "256Mi", "0", 100));

        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());
        await().atMost(WAIT).until(() -> stored(mod("example.com/a")));
        awaitIdle();

        assertEquals(0, upstream.hits(zip("example.com/a")));
        assertEquals(0.0, count("modproxy.prefetch.issued", "kind", "zip"));
    }

    @Test
    void aClientJoinsAPrefetchInFlightAndItIsNotCancelledUnderIt() throws Exception {
        byte[] big = bigZip("example.com/big");
        AtomicInteger started = new AtomicInteger();
        publish("example.com/big", "1.21");
        upstream.on(zip("example.com/big"), chunkedAfterRelease(big, started));
        startProxy(on(4, "4096", 100)); // less than the zip: alone, this prefetch would be cancelled

        assertEquals(200, proxy.get("/" + info("example.com/big")).statusCode());
        await().atMost(WAIT).until(() -> started.get() == 1);
        CompletableFuture<HttpResponse<byte[]>> client =
                sendAsync(zip("example.com/big"), HttpResponse.BodyHandlers.ofByteArray());
        await().atMost(WAIT).until(() -> count("modproxy.coalesced.waits", "kind", "zip") == 1); // joined
        release.countDown();

        HttpResponse<byte[]> got = client.get(30, TimeUnit.SECONDS);
        assertEquals(200, got.statusCode());
        assertTrue(Arrays.equals(big, got.body()));
        assertEquals(1, upstream.hits(zip("example.com/big")), "the client joined the prefetch's download");
        awaitIdle();
        assertEquals(0.0, count("modproxy.prefetch.wasted", "kind", "zip", "reason", "cancelled"));
        assertEquals(1.0, count("modproxy.prefetch.used", "kind", "zip"), "the client had the zip it joined");
        assertTrue(stored(zip("example.com/big")));
    }

    @Test
    void aPrefetchLeavesAloneWhatAClientIsFetching() throws Exception {
        byte[] big = bigZip("example.com/big");
        AtomicInteger started = new AtomicInteger();
        publish("example.com/big", "1.21");
        upstream.on(zip("example.com/big"), chunkedAfterRelease(big, started));
        startProxy(on(4, "256Mi", 100));

        CompletableFuture<HttpResponse<byte[]>> client =
                sendAsync(zip("example.com/big"), HttpResponse.BodyHandlers.ofByteArray());
        await().atMost(WAIT).until(() -> started.get() == 1);
        assertEquals(200, proxy.get("/" + info("example.com/big")).statusCode()); // predicts the zip being fetched
        awaitIdle();
        release.countDown();

        assertEquals(200, client.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(1, upstream.hits(zip("example.com/big")));
        assertEquals(0.0, count("modproxy.prefetch.issued", "kind", "zip"));
    }

    @Test
    void aCorruptZipThatIsPrefetchedIsNeverStoredAndTheClientGetsTheUsualError() throws Exception {
        publish("example.com/bad", "1.21");
        byte[] outside = Modules.zipOf(
                "example.com/other@v1.0.0/",
                Map.of(
                        "go.mod",
                        "module example.com/other\n",
                        "big.go",
                        new String(bigZip("example.com/other"), StandardCharsets.ISO_8859_1)));
        AtomicInteger started = new AtomicInteger();
        upstream.on(zip("example.com/bad"), chunkedAfterRelease(outside, started));
        startProxy(on(4, "256Mi", 100));

        assertEquals(200, proxy.get("/" + info("example.com/bad")).statusCode());
        await().atMost(WAIT).until(() -> started.get() == 1);
        CompletableFuture<HttpResponse<String>> joined =
                sendAsync(zip("example.com/bad"), HttpResponse.BodyHandlers.ofString());
        await().atMost(WAIT).until(() -> count("modproxy.coalesced.waits", "kind", "zip") == 1); // joined
        release.countDown();

        HttpResponse<String> got = joined.get(30, TimeUnit.SECONDS);
        assertEquals(502, got.statusCode(), "the client that joined gets the refusal, never the zip");
        assertTrue(got.body().contains("unusable answer") && got.body().contains("example.com/other"), got.body());
        awaitIdle();
        assertTrue(!stored(zip("example.com/bad")));
        // one prefetch went upstream and it came to nothing: wasted, and not also used, as the client that joined
        // it had no zip of it (before, it counted as both, and used + wasted came to more than issued)
        assertEquals(1.0, count("modproxy.prefetch.issued", "kind", "zip"));
        assertEquals(1.0, count("modproxy.prefetch.wasted", "kind", "zip", "reason", "failed"));
        assertEquals(0.0, count("modproxy.prefetch.used", "kind", "zip"));

        // a later client gets the refusal the prefetch's download earned, as after a client's own: the same 502,
        // never a 200, and not the download again (MODPROXY_NEGATIVE_TTL)
        HttpResponse<String> later = proxy.getText("/" + zip("example.com/bad"));
        assertEquals(502, later.statusCode());
        assertEquals(got.body(), later.body());
        assertEquals(1, upstream.hits(zip("example.com/bad")), "the refused zip is not downloaded again");
        assertTrue(!stored(zip("example.com/bad")));
    }

    @Test
    void aPrefetchedArtifactNobodyAsksForWithinTheUseWindowCountsAsWasted() throws Exception {
        publish("example.com/a", "1.21");
        startProxy(new ProxySettings.Prefetch(
                true, 4, "256Mi", "16Mi", 100, Duration.ofSeconds(30), Duration.ofMillis(50)));

        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());
        await().atMost(WAIT).until(() -> stored(zip("example.com/a")) && stored(mod("example.com/a")));

        await().atMost(WAIT)
                .until(() -> count("modproxy.prefetch.wasted", "kind", "zip", "reason", "unused") == 1
                        && count("modproxy.prefetch.wasted", "kind", "mod", "reason", "unused") == 1);
        assertEquals(0.0, count("modproxy.prefetch.used", "kind", "zip"));
        assertEquals(200, proxy.get("/" + zip("example.com/a")).statusCode());
        assertEquals(
                0.0, count("modproxy.prefetch.used", "kind", "zip"), "asked after its window: not counted as used");
    }

    @Test
    void aClientServedTheInstantAPrefetchPublishesCountsItUsedOnce() throws Exception {
        publish("example.com/a", "1.21");
        // the client's request is answered between the zip's publication and the end of the prefetch that stored it
        List<Double> usedWhenServed = new CopyOnWriteArrayList<>();
        UnaryOperator<Storage> servedOnPublish = storage -> new ForwardingStorage(storage) {
            @Override
            public StorageWriter openWriter(StorageKey key) throws IOException {
                StorageWriter writer = delegate.openWriter(key);
                if (!key.equals(new StorageKey(zip("example.com/a")))) {
                    return writer;
                }
                return new ForwardingStorageWriter(writer) {
                    @Override
                    public StoredObject commit() throws IOException {
                        StoredObject published = writer.commit();
                        try {
                            assertEquals(
                                    200, proxy.get("/" + zip("example.com/a")).statusCode());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException(e);
                        }
                        usedWhenServed.add(count("modproxy.prefetch.used", "kind", "zip"));
                        return published;
                    }
                };
            }
        };
        proxy = new ProxyUnderTest(
                upstream.url(),
                dir.resolve("cache"),
                ProxyUnderTest.options()
                        .registry(registry)
                        .prefetch(on(4, "256Mi", 100))
                        .storageView(servedOnPublish));

        assertEquals(200, proxy.get("/" + info("example.com/a")).statusCode());
        await().atMost(WAIT).until(() -> usedWhenServed.size() == 1);
        awaitIdle();
        assertEquals(List.of(1.0), usedWhenServed, "the client was served what the prefetch had just stored");

        assertEquals(200, proxy.get("/" + zip("example.com/a")).statusCode());
        assertEquals(1, upstream.hits(zip("example.com/a")));
        assertEquals(1.0, count("modproxy.prefetch.issued", "kind", "zip"));
        assertEquals(1.0, count("modproxy.prefetch.used", "kind", "zip"), "a second client is no second use");
    }

    private double total(String name) {
        return registry.find(name).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    /**
     * A prefetch the upstream's open circuit would skip is not sent, so not issued (nor wasted): it is dropped as
     * {@code circuit_open}, and hinted again once the upstream is back.
     */
    @Test
    void aPrefetchAnOpenCircuitWouldSkipIsDroppedNotIssued() throws Exception {
        upstream.otherwise(FakeUpstream.status(503, "down for maintenance"));
        Duration coolDown = Duration.ofSeconds(2);
        proxy = new ProxyUnderTest(
                upstream.url(),
                dir.resolve("cache"),
                ProxyUnderTest.options()
                        .prefetch(on(4, "64Mi", 100))
                        .registry(registry)
                        .breaker(2, coolDown));
        // two modules' lists fail: the circuit opens (a list hints no prefetch)
        assertEquals(502, proxy.getText("/example.com/m0/@v/list").statusCode());
        assertEquals(502, proxy.getText("/example.com/m1/@v/list").statusCode());
        assertEquals(2, upstream.totalHits());

        for (int i = 0; i < 10; i++) {
            assertEquals(502, proxy.getText("/" + info("example.com/o" + i)).statusCode());
        }
        awaitIdle();
        assertEquals(0.0, total("modproxy.prefetch.issued"), "nothing was sent upstream for a prefetch");
        assertEquals(0.0, total("modproxy.prefetch.wasted"));
        assertEquals(10.0, count("modproxy.prefetch.dropped", "reason", "circuit_open"));
        assertEquals(0, upstream.hits(mod("example.com/o0")));

        // the upstream is back: a client's request past the cool-down is the trial; its .info predicts the .mod again
        publish("example.com/o0", "1.21");
        UpstreamChain.Proxy only =
                (UpstreamChain.Proxy) proxy.assembly.chain().entries().get(0);
        await().atMost(WAIT).until(() -> only.upstream().breaker().admitsWithoutTrial()); // the cool-down is over
        assertEquals(200, proxy.getText("/" + info("example.com/o0")).statusCode());
        await().atMost(WAIT).until(() -> stored(mod("example.com/o0")));
        awaitIdle();
        assertEquals(1.0, count("modproxy.prefetch.issued", "kind", "mod"));
        assertEquals(1, upstream.hits(mod("example.com/o0")));
    }
}
