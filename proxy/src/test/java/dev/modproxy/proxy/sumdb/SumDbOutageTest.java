package dev.modproxy.proxy.sumdb;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.modproxy.contract.ModulePathPatterns;
import dev.modproxy.proxy.cache.ArtifactRejectedException;
import dev.modproxy.proxy.cache.StagedAnswer;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.upstream.CircuitBreaker;
import dev.modproxy.proxy.upstream.EgressProxy;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When no source of the checksum database answers at all, the module is cached unverified
 * (builds still verify it themselves) unless MODPROXY_SUMDB_REQUIRED is set; any source that
 * answers with something unusable still gets the module refused.
 */
class SumDbOutageTest {

    private static final String SUM_GOLANG_ORG_KEY =
            "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

    @TempDir
    Path dir;

    private HttpServer upstream;

    @AfterEach
    void stop() {
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    @Test
    void unreachableDatabaseLetsTheModuleInUnverifiedAndCountsIt() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SumDbArtifactVerifier verifier = verifier(upstreamAnswering(404, "not found"), false, registry);

        assertDoesNotThrow(() -> verifier.verify(modRequest(), goMod()));

        assertEquals(1.0, registry.get("modproxy.sumdb.unverified").counter().count());
    }

    @Test
    void aLookupTheDatabaseCannotAnswerSaysWhatToSet() throws Exception {
        ChecksumDatabase database = database(upstreamAnswering(404, "not found: the mirror keeps no lookups"), false);

        // the message is the body of the 502 a go command gets for /sumdb/<name>/lookup/...
        SumDbUnreachableException e = assertThrows(
                SumDbUnreachableException.class,
                () -> database.cache().orElseThrow().answer(SumDbPath.parse("lookup/example.com/outage@v1.0.0")));
        assertTrue(e.getMessage().contains("not found: the mirror keeps no lookups"), "the proxy's own reason too");
        assertFalse(e.getMessage().contains("not kept"), "a miss in the local store is no failure: " + e.getMessage());
        assertTrue(e.getMessage().contains("MODPROXY_SUMDB=sum.golang.google.cn"), e.getMessage());
        assertTrue(e.getMessage().contains("GONOSUMDB"), e.getMessage());
    }

    @Test
    void anUnreachableDatabaseIsAWarningThatSaysWhatToSet() throws Exception {
        Optional<String> warning =
                database(upstreamAnswering(404, "not found"), false).unreachableWarning();

        assertTrue(warning.isPresent());
        assertTrue(warning.get().contains("checksum database sum.golang.org unreachable"), warning.get());
        assertTrue(warning.get().contains("MODPROXY_SUMDB=sum.golang.google.cn"), warning.get());
    }

    @Test
    void aLookupAProxyServingTheDatabaseAnswers404IsNotFoundNotAnOutage() throws Exception {
        // proxy.golang.org relays sum.golang.org's 404 for a version the database does not have; the database's own
        // URL is out of reach, as behind a gateway that lets only the proxy through
        ChecksumDatabase database = database(upstreamServingTheDatabase(), false);

        SumDbNotFoundException e = assertThrows(
                SumDbNotFoundException.class,
                () -> database.cache().orElseThrow().answer(SumDbPath.parse("lookup/example.com/outage@v1.0.0")));
        assertTrue(e.getMessage().contains("unknown revision v1.0.0"), "the database's own reason: " + e.getMessage());
        assertFalse(e.getMessage().contains("unreachable"), e.getMessage());
    }

    /**
     * The go command shows at most 648 bytes of a server's answer (cmd/go/internal/web's maxErrorDetailBytes, 8 lines
     * of 81) and, for a longer line, only "[Truncated: too long.]". Seen with the real go command: the 502 for
     * github.com/Azure/azure-sdk-for-go/sdk/storage/azblob@v1.8.3, refused because the database was out of reach,
     * named the module path four times, ran to 732 bytes and was shown as that bracket alone.
     */
    @Test
    void aRefusalForALongModulePathFitsWhatTheGoCommandShows() throws Exception {
        ProxyRequest request =
                ProxyRequest.parse("/github.com/!azure/azure-sdk-for-go/sdk/storage/azblob/@v/v1.8.3.mod");
        // what the client gets: UnusableAnswerException's "<voucher> could not vouch for the answer from <host>: "
        String prefix = "checksum database sum.golang.org could not vouch for the answer from proxy.golang.org: ";

        ArtifactRejectedException outage = assertThrows(
                ArtifactRejectedException.class,
                () -> verifier(upstreamAnswering(404, "404 page not found"), true, new SimpleMeterRegistry())
                        .verify(request, goMod()));
        String body = prefix + outage.getMessage();
        assertTrue(body.length() <= 648, body.length() + " bytes: " + body);
        assertTrue(body.contains("unreachable"), body);
        assertTrue(body.contains("404 page not found") && body.contains("refused the connection"), body);
        assertTrue(body.endsWith("a build's GONOSUMDB exempts a module from that go command's check only"), body);

        upstream.stop(0);
        ArtifactRejectedException absent = assertThrows(
                ArtifactRejectedException.class,
                () -> verifier(upstreamServingTheDatabase(), true, new SimpleMeterRegistry())
                        .verify(request, goMod()));
        body = prefix + absent.getMessage();
        assertTrue(body.length() <= 648, body.length() + " bytes: " + body);
        assertTrue(body.contains("not found in checksum database sum.golang.org"), body);
        assertTrue(body.contains("unknown revision v1.0.0"), "the database's own reason: " + body);
        assertTrue(body.contains("list it in MODPROXY_NOSUMDB"), body);
    }

    /**
     * Seen against the real proxy.golang.org (its /sumdb/ relay answering, sum.golang.org itself out of reach): the
     * relay's 404s for versions the database does not have (a go command's probes, a prefetch's proof ahead of a
     * download the upstream then refuses) send each lookup on to the database's own URL, whose failures open its
     * circuit after 5 modules. The warning then said "a module not cached yet cannot be verified meanwhile", while
     * every module went on being verified through the relay (no module was refused or cached unverified in that run).
     * Where an upstream relays the database, the warning must not say that verification stops.
     */
    @Test
    void theDatabasesCircuitOpeningDoesNotSayVerificationStopsWhileAnUpstreamRelaysIt() throws Exception {
        ChecksumDatabase database = database(upstreamServingTheDatabase(), true);
        try (CapturedLog log = CapturedLog.of(CircuitBreaker.class)) {
            for (int i = 1; i <= 5; i++) {
                String lookup = "lookup/example.com/probe" + i + "@v1.0.0";
                assertThrows(
                        SumDbNotFoundException.class,
                        () -> database.cache().orElseThrow().answer(SumDbPath.parse(lookup)),
                        "the relay's 404 is the answer");
            }
            assertEquals(1, log.warnings().size(), "the database's own URL failed on 5 modules: " + log.lines());
            String opened = log.warnings().get(0);
            assertTrue(opened.startsWith("checksum database "), opened);
            assertFalse(opened.contains("cannot be verified"), opened);
            assertTrue(opened.contains("relay"), "says modules are still verified through the relay: " + opened);
        }
    }

    @Test
    void aModuleTheDatabaseDoesNotHaveIsRefusedWhenOnlyAProxyServingTheDatabaseCanSaySo() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SumDbArtifactVerifier verifier = verifier(upstreamServingTheDatabase(), false, registry);

        ArtifactRejectedException refused =
                assertThrows(ArtifactRejectedException.class, () -> verifier.verify(modRequest(), goMod()));

        assertTrue(refused.getMessage().contains("not found in checksum database"), refused.getMessage());
        assertEquals(0.0, registry.get("modproxy.sumdb.unverified").counter().count());
    }

    @Test
    void unreachableDatabaseRefusesTheModuleWhenVerificationIsRequired() throws Exception {
        SumDbArtifactVerifier verifier = verifier(upstreamAnswering(404, "not found"), true, new SimpleMeterRegistry());

        ArtifactRejectedException refused =
                assertThrows(ArtifactRejectedException.class, () -> verifier.verify(modRequest(), goMod()));
        assertEquals(
                Optional.of("checksum database sum.golang.org"),
                refused.voucher(),
                "the database failed, not the module");
        assertTrue(refused.getMessage().contains("unreachable"), refused.getMessage());
    }

    @Test
    void aModuleRefusedForAnUnreachableDatabaseSaysOnlyTheProxysOwnExemptionHelps() throws Exception {
        // Seen with the real go command: a build that already sets GONOSUMDB for the module still gets this 502 (the
        // proxy checks what it caches whatever the build says), so advice to list the module in GONOSUMDB sends the
        // user round in a circle. The client's own /sumdb/ lookup keeps that advice: there, GONOSUMDB is the fix.
        SumDbArtifactVerifier verifier = verifier(upstreamAnswering(404, "not found"), true, new SimpleMeterRegistry());

        ArtifactRejectedException refused =
                assertThrows(ArtifactRejectedException.class, () -> verifier.verify(modRequest(), goMod()));

        assertTrue(refused.getMessage().contains("MODPROXY_SUMDB=sum.golang.google.cn"), refused.getMessage());
        assertTrue(
                refused.getMessage().contains("list private modules in MODPROXY_NOSUMDB (spec.noSumDB)"),
                refused.getMessage());
        assertTrue(
                refused.getMessage().contains("a build's GONOSUMDB exempts a module from that go command's check only"),
                refused.getMessage());
        assertFalse(refused.getMessage().contains("in GONOSUMDB (MODPROXY_NOSUMDB)"), refused.getMessage());

        SumDbUnreachableException lookup = assertThrows(
                SumDbUnreachableException.class,
                () -> database(upstreamAnswering(404, "not found"), true)
                        .cache()
                        .orElseThrow()
                        .answer(SumDbPath.parse("lookup/example.com/outage@v1.0.0")));
        assertTrue(lookup.getMessage().contains("list private modules in GONOSUMDB"), lookup.getMessage());
    }

    @Test
    void anUpstreamAnsweringGarbageForTheDatabaseIsARefusalNotAnOutage() throws Exception {
        SumDbArtifactVerifier verifier =
                verifier(upstreamAnswering(200, "<html>login</html>"), false, new SimpleMeterRegistry());

        assertThrows(ArtifactRejectedException.class, () -> verifier.verify(modRequest(), goMod()));
    }

    @Test
    void theDatabaseIsAskedAsTheDownloadStartsNotAfterIt() throws Exception {
        Set<String> asked = ConcurrentHashMap.newKeySet();
        String upstreamUrl = upstream(path -> {
            asked.add(path);
            return new Answer(404, "not found");
        });
        SumDbArtifactVerifier verifier = new SumDbArtifactVerifier(
                database(upstreamUrl, false, ModulePathPatterns.parse("example.com/private")),
                new SimpleMeterRegistry(),
                false);

        verifier.fetchStarts(ProxyRequest.parse("/example.com/private/@v/v1.0.0.zip"));
        verifier.fetchStarts(ProxyRequest.parse("/example.com/outage/@v/list"));
        verifier.fetchStarts(ProxyRequest.parse("/example.com/outage/@v/v1.0.0.zip"));

        // no verify() called: the lookup is under way while the zip downloads
        await().atMost(Duration.ofSeconds(10))
                .until(() -> asked.contains("/sumdb/sum.golang.org/lookup/example.com/outage@v1.0.0"));
        assertTrue(
                asked.stream().noneMatch(path -> path.contains("private") || path.endsWith("/list")),
                "an exempt module or a list is never looked up: " + asked);
    }

    @Test
    void onlyTheZipOfAModuleTheDatabaseCoversWantsTheZipsHash() throws Exception {
        // the zip check then works the hash out in the pass that inflates every file for its CRC-32
        SumDbArtifactVerifier verifier = new SumDbArtifactVerifier(
                database(upstreamAnswering(404, "not found"), false, ModulePathPatterns.parse("example.com/private")),
                new SimpleMeterRegistry(),
                false);

        assertTrue(verifier.wantsZipHash(ProxyRequest.parse("/example.com/outage/@v/v1.0.0.zip")));
        assertFalse(verifier.wantsZipHash(modRequest()), "a go.mod is hashed as it is");
        assertFalse(verifier.wantsZipHash(ProxyRequest.parse("/example.com/outage/@v/v1.0.0.info")));
        assertFalse(
                verifier.wantsZipHash(ProxyRequest.parse("/example.com/private/@v/v1.0.0.zip")),
                "a module exempt from the database is never hashed");
    }

    private SumDbArtifactVerifier verifier(String upstreamUrl, boolean required, SimpleMeterRegistry registry)
            throws Exception {
        return new SumDbArtifactVerifier(database(upstreamUrl, required), registry, required);
    }

    /** sum.golang.org's key at a closed port, behind one upstream proxy. */
    private ChecksumDatabase database(String upstreamUrl, boolean required) throws Exception {
        return database(upstreamUrl, required, ModulePathPatterns.none());
    }

    private ChecksumDatabase database(String upstreamUrl, boolean required, ModulePathPatterns exempt)
            throws Exception {
        UpstreamChain.Settings connection =
                new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 5, Duration.ofSeconds(30));
        UpstreamChain chain = UpstreamChain.parse(upstreamUrl, connection, UpstreamListener.NONE);
        return new ChecksumDatabase(
                GoSumDbSetting.parse(SUM_GOLANG_ORG_KEY + " " + ClosedPort.url()),
                exempt,
                new LocalDiskStorage(dir.resolve("cache")),
                chain,
                connection,
                Duration.ofSeconds(2),
                EgressProxy.of(Map.of()),
                Duration.ofMinutes(1));
    }

    /** An upstream answering every path alike. */
    private String upstreamAnswering(int status, String body) throws IOException {
        return upstream(path -> new Answer(status, body));
    }

    /**
     * An upstream proxy that serves sum.golang.org (its /sumdb/sum.golang.org/supported is 200) and relays the
     * database's 404 for a version it does not have.
     */
    private String upstreamServingTheDatabase() throws IOException {
        return upstream(path -> path.equals("/sumdb/sum.golang.org/supported")
                ? new Answer(200, "")
                : new Answer(404, "not found: example.com/outage@v1.0.0: invalid version: unknown revision v1.0.0"));
    }

    private record Answer(int status, String body) {}

    private String upstream(Function<String, Answer> answers) throws IOException {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            Answer answer = answers.apply(exchange.getRequestURI().getPath());
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        upstream.start();
        return "http://127.0.0.1:" + upstream.getAddress().getPort();
    }

    private StagedAnswer goMod() throws IOException {
        return new StagedAnswer(Files.writeString(dir.resolve("go.mod"), "module example.com/outage\n"), false);
    }

    private static ProxyRequest modRequest() throws Exception {
        return ProxyRequest.parse("/example.com/outage/@v/v1.0.0.mod");
    }
}
