package dev.modproxy.proxy.cache;

import static dev.modproxy.proxy.testing.FakeUpstream.ok;
import static dev.modproxy.proxy.testing.FakeUpstream.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxySettings;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.sumdb.GoSumDbServer;
import dev.modproxy.proxy.sumdb.ProxyDirModules;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.SlowClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A version refused for its content (a zip the checksum database contradicts, one the database does not know, one
 * that breaks the module zip rules) is downloaded once per negative TTL, not at every request: a build's retries or a
 * farm of runners asking for it get the first refusal again. A failure that says nothing about the content (a 503, a
 * timeout, a database out of reach) is asked again at the next request.
 */
class RememberedRefusalTest {

    private static final String MODULE = "example.com/lib";
    private static final String ZIP = MODULE + "/@v/v1.0.0.zip";

    @TempDir
    Path dir;

    FakeUpstream upstream;
    final CountDownLatch stalled = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stop() {
        stalled.countDown();
        upstream.close();
    }

    /** A zip of the module whose go file differs from the one the database records: same name, other bytes. */
    private byte[] zipOf(String module, String goFile) throws IOException {
        Path written = ProxyDirModules.write(
                Files.createTempDirectory(dir, "served"), module, "v1.0.0", Map.of("lib.go", goFile));
        return Files.readAllBytes(written);
    }

    private static ProxyUnderTest.Options checkedAgainst(GoSumDbServer sumdb) {
        return ProxyUnderTest.options().sumdb(sumdb.verifierKey() + " " + sumdb.url(), "", false);
    }

    private static void assertSameRefusal(HttpResponse<String> first, HttpResponse<String> again) {
        assertEquals(502, first.statusCode(), first.body());
        assertEquals(first.statusCode(), again.statusCode());
        assertEquals(first.body(), again.body());
        for (String header : List.of("Content-Type", "Content-Length", "Cache-Control")) {
            assertEquals(first.headers().allValues(header), again.headers().allValues(header), header);
        }
    }

    @Test
    void aZipTheChecksumDatabaseContradictsIsDownloadedOnceAndRefusedAlikeEveryTime() throws Exception {
        Path genuine = dir.resolve("genuine");
        ProxyDirModules.write(genuine, MODULE, "v1.0.0", Map.of("lib.go", "package lib\n"));
        upstream.on(ZIP, ok("application/zip", zipOf(MODULE, "package lib\n\nfunc init() { panic(\"owned\") }\n")));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (GoSumDbServer sumdb = GoSumDbServer.start(
                        GoSumDbServer.Options.named("sum.test").withProxyDir(genuine));
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        checkedAgainst(sumdb).registry(registry))) {
            List<HttpResponse<String>> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                answers.add(proxy.getText("/" + ZIP));
            }

            assertTrue(
                    answers.get(0).body().contains("checksum mismatch"),
                    answers.get(0).body());
            assertSameRefusal(answers.get(0), answers.get(1));
            assertSameRefusal(answers.get(0), answers.get(2));
            assertEquals(1, upstream.hits(ZIP), "downloaded once, refused three times");
            assertEquals(
                    1.0,
                    registry.get("modproxy.sumdb.rejections")
                            .tag("reason", "mismatch")
                            .counter()
                            .count(),
                    "hashed and refused once");
            JsonObject stats = new JsonObject(proxy.getText("/admin/stats").body());
            assertEquals(2, stats.getLong("negativeHits"), "answered twice from memory: " + stats.encode());
            assertEquals(1, stats.getLong("misses"), stats.encode());
            assertEquals(0, stats.getLong("hits"), stats.encode());
            assertFalse(proxy.storage.lookup(new StorageKey(ZIP)).isPresent());
        }
    }

    @Test
    void aVersionTheChecksumDatabaseDoesNotKnowIsDownloadedOnceAndRefusedAlike() throws Exception {
        Path genuine = dir.resolve("genuine");
        ProxyDirModules.write(genuine, "example.com/other", "v1.0.0", Map.of("o.go", "package o\n"));
        String mod = MODULE + "/@v/v1.0.0.mod";
        upstream.on(mod, ok("text/plain", Modules.goMod(MODULE)));
        try (GoSumDbServer sumdb = GoSumDbServer.start(
                        GoSumDbServer.Options.named("sum.test").withProxyDir(genuine));
                ProxyUnderTest proxy =
                        new ProxyUnderTest(upstream.url(), dir.resolve("cache"), checkedAgainst(sumdb))) {
            HttpResponse<String> first = proxy.getText("/" + mod);
            HttpResponse<String> again = proxy.getText("/" + mod);

            assertTrue(first.body().contains("not found in checksum database"), first.body());
            assertSameRefusal(first, again);
            assertEquals(1, upstream.hits(mod));
        }
    }

    @Test
    void aRefusalIsAskedAgainOnceTheNegativeTtlIsOverAndAMendedZipIsStoredAndServed() throws Exception {
        upstream.on(ZIP, ok("application/zip", Modules.zip("example.com/evil", "v1.0.0")));
        var options = ProxyUnderTest.options().negativeTtl(Duration.ofSeconds(1));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"), options)) {
            HttpResponse<String> first = proxy.getText("/" + ZIP);
            assertTrue(first.body().contains("not under example.com/lib@v1.0.0/"), first.body());
            assertSameRefusal(first, proxy.getText("/" + ZIP));
            assertEquals(1, upstream.hits(ZIP), "remembered within the TTL");

            HttpResponse<String> afterTtl = proxy.getTextUntil("/" + ZIP, r -> upstream.hits(ZIP) >= 2);
            assertSameRefusal(first, afterTtl);
            assertEquals(2, upstream.hits(ZIP), "asked once more past the TTL, and refused again");

            byte[] mended = Modules.zip(MODULE, "v1.0.0");
            upstream.on(ZIP, ok("application/zip", mended));
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> proxy.get("/" + ZIP).statusCode() == 200);
            assertEquals(3, upstream.hits(ZIP));
            assertTrue(proxy.storage.lookup(new StorageKey(ZIP)).isPresent(), "the mended zip is stored");
            HttpResponse<byte[]> served = proxy.get("/" + ZIP);
            assertEquals(200, served.statusCode());
            assertArrayEquals(mended, served.body());
            assertEquals(3, upstream.hits(ZIP), "served from the cache");
        }
    }

    @Test
    void aRememberedRefusalIsLoggedOnceNotAtEveryRequestItAnswers() throws Exception {
        upstream.on(ZIP, ok("application/zip", Modules.zip("example.com/evil", "v1.0.0")));
        try (CapturedLog log = CapturedLog.of(ModuleCache.class, Level.WARNING);
                ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            for (int i = 0; i < 3; i++) {
                assertEquals(502, proxy.getText("/" + ZIP).statusCode());
            }

            List<String> said = log.warnings().stream()
                    .filter(line -> line.contains("v1.0.0.zip"))
                    .toList();
            assertEquals(1, said.size(), "warnings: " + log.warnings());
            assertTrue(said.get(0).contains("not under example.com/lib@v1.0.0/"), said.get(0));
            assertTrue(said.get(0).contains("MODPROXY_NEGATIVE_TTL"), said.get(0));
            assertEquals(2, proxy.metrics.negativeHits(), "the two later requests were answered from memory");
        }
    }

    @Test
    void aFailureThatSaysNothingOfTheContentIsAskedAgainAtTheNextRequest() throws Exception {
        String mod = MODULE + "/@v/v1.0.0.mod";
        upstream.on(ZIP, status(503, "upstream busy"));
        upstream.on(mod, exchange -> {
            try {
                stalled.await(20, TimeUnit.SECONDS); // no headers within the read timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        var options = ProxyUnderTest.options().readTimeout(Duration.ofMillis(500));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"), options)) {
            assertEquals(502, proxy.getText("/" + ZIP).statusCode());
            assertEquals(502, proxy.getText("/" + ZIP).statusCode());
            assertEquals(504, proxy.getText("/" + mod).statusCode());
            assertEquals(504, proxy.getText("/" + mod).statusCode());

            assertEquals(2, upstream.hits(ZIP), "a 503 is not remembered");
            assertEquals(2, upstream.hits(mod), "a timeout is not remembered");
            assertEquals(0, proxy.metrics.negativeHits());
        }
    }

    @Test
    void aRefusalWhereAnotherUpstreamFailedIsAskedAgainAtTheNextRequest() throws Exception {
        // GOPROXY=first|second: the first fails with a 503, the second sends a zip that breaks the rules; the first
        // may have the good zip by the next request
        try (FakeUpstream second = FakeUpstream.start()) {
            upstream.on(ZIP, status(503, "upstream busy"));
            second.on(ZIP, ok("application/zip", Modules.zip("example.com/evil", "v1.0.0")));
            try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url() + "|" + second.url(), dir.resolve("cache"))) {
                HttpResponse<String> first = proxy.getText("/" + ZIP);
                HttpResponse<String> again = proxy.getText("/" + ZIP);

                assertTrue(first.body().contains("not under example.com/lib@v1.0.0/"), first.body());
                assertSameRefusal(first, again);
                assertEquals(2, upstream.hits(ZIP), "asked again");
                assertEquals(2, second.hits(ZIP));
                assertEquals(0, proxy.metrics.negativeHits());
            }
        }
    }

    @Test
    void aSmallZipRefusedBeforeAnyByteReachedTheClientIsTakenFromTheUpstreamAfterAPipe() throws Exception {
        // GOPROXY=first|second: a zip of up to 64 KiB is held back whole until verified, so the first's broken one
        // never reached the client: the second is asked for it, as a fetch without a client would
        try (FakeUpstream second = FakeUpstream.start()) {
            upstream.on(ZIP, ok("application/zip", Modules.zip("example.com/evil", "v1.0.0")));
            byte[] good = Modules.zip(MODULE, "v1.0.0");
            second.on(ZIP, ok("application/zip", good));
            try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url() + "|" + second.url(), dir.resolve("cache"))) {
                HttpResponse<byte[]> first = proxy.get("/" + ZIP);

                assertEquals(200, first.statusCode());
                assertArrayEquals(good, first.body());
                assertEquals(1, second.hits(ZIP));
                assertArrayEquals(good, proxy.get("/" + ZIP).body(), "and cached");
                assertEquals(1, upstream.hits(ZIP));
            }
        }
    }

    @Test
    void aRefusalWhileAnUpstreamAfterAPipeWasLeftUnaskedIsAskedAgainAtTheNextRequest() throws Exception {
        // GOPROXY=first|second: the first's zip streams to the client, past the 64 KiB held back, and breaks the rules
        // at its end, so the second cannot be spliced in for this client; a fetch without one (a prefetch) would ask
        // it, and it has the good zip: the refusal is not the whole chain's answer
        try (FakeUpstream second = FakeUpstream.start()) {
            byte[] broken = largeZipWithAStrayEntryLast();
            // the first sends its last 64 KiB (the stray entry and the directory that show the zip broken) only once
            // the client has had bytes: the sends to a first client run on threads of their own, so without this the
            // check could refuse the zip before any byte went out, and the second's zip would rightly be sent instead
            CountDownLatch clientHasBytes = new CountDownLatch(1);
            upstream.on(ZIP, exchange -> {
                exchange.getResponseHeaders().set("Content-Type", "application/zip");
                exchange.sendResponseHeaders(200, broken.length);
                int split = broken.length - 64 * 1024;
                exchange.getResponseBody().write(broken, 0, split);
                exchange.getResponseBody().flush();
                try {
                    clientHasBytes.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.getResponseBody().write(broken, split, broken.length - split);
            });
            second.on(ZIP, ok("application/zip", Modules.zip(MODULE, "v1.0.0")));
            try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url() + "|" + second.url(), dir.resolve("cache"))) {
                try (SlowClient client = new SlowClient(proxy.port(), "/" + ZIP)) {
                    assertEquals(200, client.status);
                    client.read(1);
                    clientHasBytes.countDown();
                    assertThrows(
                            IOException.class,
                            client::readRest,
                            "the client never gets the refused zip whole, nor the second's spliced in");
                }
                assertEquals(0, second.hits(ZIP), "left unasked once bytes had reached the client");

                assertTrue(cutShort(proxy, broken.length));
                assertEquals(2, upstream.hits(ZIP), "asked again: not the whole chain's answer");
                assertEquals(0, proxy.metrics.negativeHits());
            }
        }
    }

    /** Whether the zip's download through proxy was cut short (a broken connection: bytes had gone out). */
    private static boolean cutShort(ProxyUnderTest proxy, int length) throws InterruptedException {
        try {
            HttpResponse<byte[]> got = proxy.get("/" + ZIP);
            return got.statusCode() != 200 || got.body().length < length;
        } catch (IOException e) {
            return true;
        }
    }

    /** A zip of MODULE over 64 KiB (incompressible, stored) whose last entry lies outside the module's prefix. */
    private static byte[] largeZipWithAStrayEntryLast() throws IOException {
        byte[] noise = new byte[512 * 1024];
        new java.util.Random(7).nextBytes(noise);
        var bytes = new java.io.ByteArrayOutputStream();
        try (var zip = new java.util.zip.ZipOutputStream(bytes)) {
            Modules.putStored(
                    zip, MODULE + "@v1.0.0/go.mod", Modules.goMod(MODULE).getBytes());
            Modules.putStored(zip, MODULE + "@v1.0.0/data.bin", noise);
            Modules.putStored(zip, "example.com/evil@v1.0.0/x.go", "package x\n".getBytes());
        }
        return bytes.toByteArray();
    }

    @Test
    void aRefusalBeforeACommaIsTheChainsAnswerAndRemembered() throws Exception {
        // GOPROXY=first,second: the go command stops at the first's refusal too, so the second is never asked
        try (FakeUpstream second = FakeUpstream.start()) {
            upstream.on(ZIP, ok("application/zip", Modules.zip("example.com/evil", "v1.0.0")));
            second.on(ZIP, ok("application/zip", Modules.zip(MODULE, "v1.0.0")));
            try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url() + "," + second.url(), dir.resolve("cache"))) {
                HttpResponse<String> first = proxy.getText("/" + ZIP);

                assertSameRefusal(first, proxy.getText("/" + ZIP));
                assertEquals(1, upstream.hits(ZIP), "remembered");
                assertEquals(0, second.hits(ZIP));
                assertEquals(1, proxy.metrics.negativeHits());
            }
        }
    }

    @Test
    void aPageInTheAnswersPlaceIsNotRememberedWhateverItsContentType() throws Exception {
        // a captive portal or a filtering proxy answers 200 with its page, not always labelled text/html; gone once
        // the network is, it must not stand for the version for the TTL
        String mod = MODULE + "/@v/v1.0.0.mod";
        String shortZip = "example.com/short/@v/v1.0.0.zip";
        upstream.on(ZIP, ok("application/octet-stream", "<html><body>Sign in to the network</body></html>"))
                .on(shortZip, ok("text/plain", "Forbidden\n"))
                .on(mod, ok("text/plain", "\n<html><body>Sign in to the network</body></html>"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"))) {
            for (String path : List.of(ZIP, shortZip, mod)) {
                HttpResponse<String> first = proxy.getText("/" + path);
                HttpResponse<String> again = proxy.getText("/" + path);

                assertEquals(502, first.statusCode(), path + ": " + first.body());
                assertTrue(
                        first.body().contains("not a zip file") || first.body().contains("HTML/XML page"),
                        path + ": " + first.body());
                assertEquals(502, again.statusCode(), path + ": " + again.body());
                assertEquals(2, upstream.hits(path), path + " asked again");
            }
            assertEquals(0, proxy.metrics.negativeHits());
        }
    }

    @Test
    void aDatabaseOutOfReachWhileVerificationIsRequiredIsAskedAgainAtTheNextRequest() throws Exception {
        upstream.on(ZIP, ok("application/zip", Modules.zip(MODULE, "v1.0.0")));
        var options = ProxyUnderTest.options()
                .sumdb("sum.test+8bd400dc+ATQMefWcGAeJ26aJN3ItgqINdKg39Rr1AFhkrPZQMolv " + ClosedPort.url(), "", true);
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"), options)) {
            HttpResponse<String> first = proxy.getText("/" + ZIP);
            HttpResponse<String> again = proxy.getText("/" + ZIP);

            assertEquals(502, first.statusCode());
            assertTrue(
                    first.body().contains("checksum database sum.test could not vouch for the answer from "),
                    first.body());
            assertEquals(502, again.statusCode());
            assertEquals(2, upstream.hits(ZIP), "the database may answer by the next request");
            assertEquals(0, proxy.metrics.negativeHits());
        }
    }

    @Test
    void aPrefetchDoesNotFetchARememberedRefusal() throws Exception {
        upstream.on(MODULE + "/@v/v1.0.0.info", ok("application/json", Modules.info("v1.0.0")))
                .on(MODULE + "/@v/v1.0.0.mod", ok("text/plain", Modules.goMod(MODULE)))
                .on(ZIP, ok("application/zip", Modules.zip("example.com/evil", "v1.0.0")));
        var options = ProxyUnderTest.options()
                .prefetch(new ProxySettings.Prefetch(
                        true, 4, "256Mi", "16Mi", 1000, Duration.ofSeconds(30), Duration.ofMinutes(10)));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"), options)) {
            var prefetcher = proxy.assembly.prefetcher().orElseThrow();
            assertEquals(502, proxy.getText("/" + ZIP).statusCode());
            await().atMost(Duration.ofSeconds(20)).until(prefetcher::idle); // the zip's .mod and .info, prefetched

            // a client that has the .info downloads the zip next: the prefetcher would fetch it now
            long tasks = prefetcher.tasksSubmitted();
            assertEquals(200, proxy.getText("/" + MODULE + "/@v/v1.0.0.info").statusCode());
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> prefetcher.tasksSubmitted() > tasks && prefetcher.idle());

            assertEquals(1, upstream.hits(ZIP), "the prefetch of the zip refused a moment ago was skipped");
        }
    }
}
