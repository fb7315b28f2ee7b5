package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.protocol.RequestKind;
import dev.modproxy.proxy.resilience.CircuitState;
import dev.modproxy.proxy.testing.RawUpstream;
import dev.modproxy.proxy.testing.TunnellingEgressProxy;
import dev.modproxy.proxy.upstream.CircuitBreaker;
import dev.modproxy.proxy.upstream.EgressProxy;
import dev.modproxy.proxy.upstream.Upstream;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database's pieces through an upstream proxy that relays it, then from the database's own URL: a source that
 * drips its answer (a byte now and then, each within the read timeout) is cut at the answer deadline and passed over
 * for the next source, instead of holding the proof, and every caller joined to it, for as long as it likes.
 */
class UpstreamSumDbFetcherTest {

    private static final String NAME = "sum.example.test";
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration ANSWER_DEADLINE = Duration.ofSeconds(1);
    /** A byte per 200 ms: never idle for the read timeout, a minute or more for a lookup or a tile. */
    private static final Duration DRIP = Duration.ofMillis(200);

    private static final UpstreamChain.Settings CONNECTION =
            new UpstreamChain.Settings(Duration.ofSeconds(2), READ_TIMEOUT, 5, Duration.ofSeconds(30));

    @TempDir
    Path dir;

    private GoSumDbServer database;
    private RawUpstream relay;

    @BeforeEach
    void start() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            lines.add("example.com/filler" + i + " v1.0." + i + " " + fakeHash("zip" + i) + " " + fakeHash("mod" + i));
        }
        Path records = Files.write(dir.resolve("records.txt"), lines);
        database = GoSumDbServer.start(GoSumDbServer.Options.named(NAME).withRecords(records));
        relay = RawUpstream.start().on("sumdb/" + NAME + "/supported", RawUpstream.answer(200, "text/plain", ""));
    }

    @AfterEach
    void stop() throws Exception {
        relay.close();
        database.close();
    }

    @Test
    void aLookupTheRelayDripsIsCutAtTheDeadlineAndTheDatabaseAsked() throws Exception {
        String lookup = "lookup/example.com/filler7@v1.0.7";
        byte[] answer = new HttpSumDbFetcher(database.url(), HttpClient.newHttpClient(), READ_TIMEOUT).fetch(lookup);
        relay.on("sumdb/" + NAME + "/" + lookup, RawUpstream.drip("text/plain", answer, DRIP));
        SumDbVerifier verifier = verifier();

        String proven = assertTimeoutPreemptively(
                Duration.ofSeconds(15),
                () -> verifier.provenHash("example.com/filler7", "v1.0.7", RequestKind.ZIP),
                "a dripping lookup held the proof past its deadline");

        assertEquals(fakeHash("zip7"), proven);
        assertEquals(1, relay.hits("sumdb/" + NAME + "/" + lookup), "the relay was asked first");
    }

    @Test
    void aTileTheRelayDripsIsCutAtTheDeadlineAndTheDatabaseAsked() throws Exception {
        HttpSumDbFetcher direct = new HttpSumDbFetcher(database.url(), HttpClient.newHttpClient(), READ_TIMEOUT);
        String lookup = "lookup/example.com/filler7@v1.0.7";
        relay.on("sumdb/" + NAME + "/" + lookup, RawUpstream.answer(200, "text/plain", text(direct.fetch(lookup))));
        // record 7's proof in the tree of 300 reads the full tile 0/000 (and the right edge: 0/001.p/44, 1/000.p/1)
        String tile = "tile/8/0/000";
        relay.on("sumdb/" + NAME + "/" + tile, RawUpstream.drip("application/octet-stream", direct.fetch(tile), DRIP));
        SumDbVerifier verifier = verifier();

        String proven = assertTimeoutPreemptively(
                Duration.ofSeconds(15),
                () -> verifier.provenHash("example.com/filler7", "v1.0.7", RequestKind.ZIP),
                "a dripping tile held the proof past its deadline");

        assertEquals(fakeHash("zip7"), proven);
        assertTrue(relay.hits("sumdb/" + NAME + "/" + tile) >= 1, "the relay was asked for the tile first");
    }

    /** As the proxy builds it: the relay (an upstream proxy), then the database's own URL. */
    /**
     * An egress proxy that refuses the cache's login (or wants one) answers 407 for the database: a refusal to fix, as
     * a 401 is, not an outage; the database's circuit stays closed so that lookups go on once the login is fixed.
     */
    @Test
    void anEgressProxyRefusingTheLoginLeavesTheDatabasesCircuitClosed() throws Exception {
        int port = database.url().getPort();
        String host = "sum.corp.test:" + port;
        try (TunnellingEgressProxy egress = TunnellingEgressProxy.requiringLogin(
                Map.of(host, new InetSocketAddress(InetAddress.getLoopbackAddress(), port)), "ci", "the-right-one")) {
            EgressProxy way = EgressProxy.of(Map.of("HTTP_PROXY", "http://ci:wrong-pw@" + egress.address()));
            URI url = URI.create("http://" + host + "/");
            CircuitBreaker breaker = CircuitBreaker.forChecksumDatabase(url, 5, Duration.ofSeconds(30));
            Upstream own = new Upstream(url, HttpClient.newBuilder().proxy(way).build(), READ_TIMEOUT, breaker);
            UpstreamSumDbFetcher fetcher = new UpstreamSumDbFetcher(
                    VerifierKey.parse(database.verifierKey()),
                    UpstreamChain.parse("off", CONNECTION, UpstreamListener.NONE),
                    own,
                    ANSWER_DEADLINE);

            // more lookups than the circuit's threshold (5 failures open it)
            for (int i = 1; i <= 7; i++) {
                String lookup = "lookup/example.com/filler" + i + "@v1.0." + i;
                SumDbException refused = assertThrows(SumDbException.class, () -> fetcher.fetch(lookup));
                assertTrue(
                        refused.getMessage().contains("it refused the login of user ci given in HTTP_PROXY"),
                        refused.getMessage());
                assertFalse(refused.getMessage().contains("wrong-pw"), refused.getMessage());
            }
            assertEquals(7, egress.requestLines().size(), egress.requestLines().toString());
            assertEquals(CircuitState.CLOSED, breaker.state());
        }
    }

    private SumDbVerifier verifier() throws Exception {
        Upstream own = new Upstream(
                database.url(),
                HttpClient.newHttpClient(),
                READ_TIMEOUT,
                new CircuitBreaker(database.url(), 5, Duration.ofSeconds(30)));
        VerifierKey key = VerifierKey.parse(database.verifierKey());
        UpstreamChain chain = UpstreamChain.parse(relay.url(), CONNECTION, UpstreamListener.NONE);
        return new SumDbVerifier(key, new UpstreamSumDbFetcher(key, chain, own, ANSWER_DEADLINE));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String fakeHash(String seed) throws Exception {
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
        return "h1:" + Base64.getEncoder().encodeToString(sha);
    }
}
