package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.MutableClock;
import dev.modproxy.proxy.upstream.CircuitBreaker;
import dev.modproxy.proxy.upstream.Upstream;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SumDbCacheTest {

    private static final String NAME = "sum.cache.test";
    private static final Duration TTL = Duration.ofMinutes(1);

    @TempDir
    Path dir;

    private GoSumDbServer sumdb;
    private ForwardingServer upstreamProxy;
    private ForwardingServer databaseUrl;
    private StaticGoProxy plainProxy;
    private LocalDiskStorage storage;
    private VerifierKey key;
    private final MutableClock clock = new MutableClock(Instant.now());

    /** A clock the test moves forward. */
    @BeforeEach
    void start() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            lines.add("example.com/m" + i + " v1.0.0 h1:" + "A".repeat(43) + "= h1:" + "B".repeat(43) + "=");
        }
        Path records = Files.write(dir.resolve("records"), lines);
        sumdb = GoSumDbServer.start(GoSumDbServer.Options.named(NAME).withRecords(records));
        key = VerifierKey.parse(sumdb.verifierKey());
        // Plays goproxy.cn: serves the database below /sumdb/<name>/.
        upstreamProxy = ForwardingServer.forward("/sumdb/" + NAME, sumdb.url());
        databaseUrl = ForwardingServer.forward("", sumdb.url());
        plainProxy = StaticGoProxy.serve(Files.createDirectories(dir.resolve("empty")));
        storage = new LocalDiskStorage(dir.resolve("cache"));
    }

    @AfterEach
    void stop() throws Exception {
        upstreamProxy.close();
        databaseUrl.close();
        plainProxy.close();
        sumdb.close();
    }

    private SumDbCache cacheVia(String goproxy) {
        UpstreamChain chain = UpstreamChain.parse(goproxy,
                new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(5), 5, Duration.ofSeconds(30)),
                UpstreamListener.NONE);
        Upstream database = new Upstream(URI.create(databaseUrl.url()), HttpClient.newHttpClient(), Duration.ofSeconds(5),
                new CircuitBreaker(5, Duration.ofSeconds(30)));
        return new SumDbCache(key, new UpstreamSumDbFetcher(key, chain, database), storage, TTL, clock);
    }

    @Test
    void answersComeThroughAnUpstreamProxyThatServesTheDatabase() throws Exception {
        SumDbVerifier verifier = new SumDbVerifier(key, cacheVia(plainProxy.url() + "," + upstreamProxy.url()));

        assertEquals("h1:" + "A".repeat(43) + "=", verifier.provenHash("example.com/m7", "v1.0.0", SumDbArtifact.ZIP));
        assertTrue(upstreamProxy.forwarded() > 0);
        assertEquals(0, databaseUrl.forwarded());
    }

    @Test
    void theDatabaseItselfIsAskedWhenNoUpstreamProxyServesIt() throws Exception {
        SumDbVerifier verifier = new SumDbVerifier(key, cacheVia(plainProxy.url()));

        verifier.provenHash("example.com/m7", "v1.0.0", SumDbArtifact.ZIP);
        assertTrue(databaseUrl.forwarded() > 0);
    }

    @Test
    void anUpstreamThatAnswersWithSomethingElseIsSkipped() throws Exception {
        Path portal = dir.resolve("portal");
        for (String path : List.of("latest", "lookup/example.com/m7@v1.0.0", "tile/8/0/000", "tile/8/1/000.p/1")) {
            Path file = portal.resolve("sumdb/" + NAME + "/" + path);
            Files.createDirectories(file.getParent());
            Files.writeString(file, "<html>Please log in to the Wi-Fi</html>");
        }
        try (StaticGoProxy captive = StaticGoProxy.serve(portal)) {
            SumDbVerifier verifier = new SumDbVerifier(key, cacheVia(captive.url() + "," + upstreamProxy.url()));

            assertEquals("h1:" + "A".repeat(43) + "=", verifier.provenHash("example.com/m7", "v1.0.0", SumDbArtifact.ZIP));
            assertTrue(upstreamProxy.forwarded() > 0);
        }
    }

    @Test
    void lookupsAndTilesAreServedFromStorageOnceTheNetworkIsGone() throws Exception {
        new SumDbVerifier(key, cacheVia(upstreamProxy.url())).provenHash("example.com/m7", "v1.0.0", SumDbArtifact.ZIP);
        assertTrue(storage.lookup(new StorageKey("sumdb/" + NAME + "/tile/8/0/000")).isPresent(), "full tile stored");
        assertTrue(storage.lookup(new StorageKey("sumdb/" + NAME + "/lookup/example.com/m7@v1.0.0")).isPresent());

        upstreamProxy.setDown(true);
        databaseUrl.setDown(true);
        clock.advance(Duration.ofDays(30));
        SumDbVerifier afterRestart = new SumDbVerifier(key, cacheVia(upstreamProxy.url()));

        assertEquals("h1:" + "B".repeat(43) + "=", afterRestart.provenHash("example.com/m7", "v1.0.0", SumDbArtifact.GO_MOD));
        assertRefused(SumDbException.class, () -> afterRestart.provenHash("example.com/m8", "v1.0.0", SumDbArtifact.ZIP),
                "example.com/m8@v1.0.0", "unreachable");
    }

    @Test
    void latestIsRefreshedAfterItsTtlAndServedStaleWhileTheDatabaseFails() throws Exception {
        SumDbCache cache = cacheVia(upstreamProxy.url());
        byte[] first = cache.fetch("latest");
        cache.fetch("latest");
        assertEquals(1, upstreamProxy.forwarded(), "fresh latest comes from storage");

        clock.advance(TTL.multipliedBy(2));
        cache.fetch("latest");
        assertEquals(2, upstreamProxy.forwarded(), "expired latest is fetched again");

        upstreamProxy.setDown(true);
        databaseUrl.setDown(true);
        clock.advance(TTL.multipliedBy(2));
        assertArrayEquals(first, cache.fetch("latest"), "stale latest while the database is unreachable");
    }

    @Test
    void answersNotSignedByTheKeyOrMalformedAreNeverStored() throws Exception {
        SumDbFetcher genuine = cacheVia(upstreamProxy.url());
        byte[] otherKeysLatest;
        try (GoSumDbServer impostor = GoSumDbServer.start(GoSumDbServer.Options.named(NAME))) {
            otherKeysLatest = new HttpSumDbFetcher(impostor.url(), HttpClient.newHttpClient(), Duration.ofSeconds(5)).fetch("latest");
        }
        SumDbFetcher hostile = path -> switch (path) {
            case "latest" -> otherKeysLatest;
            case "tile/8/0/000" -> "<html>oops</html>".getBytes(StandardCharsets.UTF_8);
            default -> genuine.fetch(path);
        };
        Path other = dir.resolve("other-cache");
        LocalDiskStorage otherStorage = new LocalDiskStorage(other);
        SumDbCache cache = new SumDbCache(key, hostile, otherStorage, TTL, clock);

        assertRefused(SumDbException.class, () -> cache.fetch("latest"), "no signature by the checksum database key");
        assertRefused(SumDbException.class, () -> cache.fetch("tile/8/0/000"), "tile/8/0/000 has 17 bytes, want 8192");
        assertRefused(SumDbException.class, () -> cache.fetch("tile/8/0/1"), "malformed tile path");
        assertFalse(otherStorage.lookup(new StorageKey("sumdb/" + NAME + "/latest")).isPresent());
        assertFalse(otherStorage.lookup(new StorageKey("sumdb/" + NAME + "/tile/8/0/000")).isPresent());
    }
}
