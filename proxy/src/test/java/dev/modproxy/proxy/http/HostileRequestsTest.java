package dev.modproxy.proxy.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.testing.HostileClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyOnFakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Request framing the proxy must not guess at: unknown HTTP versions, unknown or conflicting body framing, methods it
 * does not know, request targets that are no URI.
 */
class HostileRequestsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    /** A verifier key of a database named sum.test (Go's sumdb test key). */
    private static final String SUMDB_KEY = "sum.test+8bd400dc+ATQMefWcGAeJ26aJN3ItgqINdKg39Rr1AFhkrPZQMolv";

    @RegisterExtension
    final ProxyOnFakeUpstream env =
            ProxyOnFakeUpstream.publishing(u -> Modules.publish(u, "example.com/lib", "v1.0.0"));

    private HostileClient client() throws Exception {
        return new HostileClient(env.proxy().port());
    }

    /** The whole answer to one request on a connection of its own, which the proxy closes. */
    private String answer(String requestLine) throws Exception {
        try (HostileClient client = client()) {
            return client.send(requestLine + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .untilClosed(WAIT);
        }
    }

    @Test
    void aMethodThisServerDoesNotKnowIsNotImplementedWhateverThePath() throws Exception {
        // RFC 9110 9.1: methods are case-sensitive, so "get" is not GET
        for (String method : List.of("FOO", "get", "Head", "BREW")) {
            for (String path : List.of("/example.com/lib/@v/list", "/sumdb/sum.golang.org/latest", "/admin/stats")) {
                String response = answer(method + " " + path);
                assertTrue(
                        response.startsWith("HTTP/1.1 501 Not Implemented\r\n"), method + " " + path + ": " + response);
                assertTrue(
                        response.endsWith("\r\n\r\nmethod " + method
                                + " is not implemented: the GOPROXY protocol takes GET and HEAD\n"),
                        method + " " + path + ": " + response);
            }
        }
    }

    @Test
    void aKnownMethodThatNoPathTakesIsNotAllowedWithTheMethodsThatAre() throws Exception {
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "TRACE", "OPTIONS")) {
            Map<String, String> reasons = Map.of(
                    "/example.com/lib/@v/list", "the GOPROXY protocol is read-only: use GET\n",
                    // the checksum database relay is off here: the path still takes GET alone
                    "/sumdb/sum.golang.org/latest", "the checksum database protocol is read-only: use GET\n",
                    "/sumdb/other.example/lookup/example.com/lib@v1.0.0",
                            "the checksum database protocol is read-only: use GET\n");
            for (Map.Entry<String, String> path : reasons.entrySet()) {
                String response = answer(method + " " + path.getKey());
                assertTrue(
                        response.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"),
                        method + " " + path.getKey() + ": " + response);
                assertTrue(response.toLowerCase(Locale.ROOT).contains("\r\nallow: get, head\r\n"), response);
                assertTrue(
                        response.endsWith("\r\n\r\n" + path.getValue()),
                        method + " " + path.getKey() + ": " + response);
            }
        }
    }

    @Test
    void aWriteToTheChecksumDatabaseIsNotAllowedWhenTheRelayIsOnToo() throws Exception {
        env.restart(ProxyUnderTest.options().sumdb(SUMDB_KEY + " " + ClosedPort.url(), "", false));
        for (String path : List.of("/sumdb/sum.test/latest", "/sumdb/sum.golang.org/latest", "/sumdb")) {
            String response = answer("POST " + path);
            assertTrue(response.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), path + ": " + response);
            assertTrue(response.toLowerCase(Locale.ROOT).contains("\r\nallow: get, head\r\n"), response);
            assertTrue(
                    response.endsWith("\r\n\r\nthe checksum database protocol is read-only: use GET\n"),
                    path + ": " + response);
        }
        String other = answer("GET /sumdb/sum.golang.org/latest");
        assertTrue(other.startsWith("HTTP/1.1 404 Not Found\r\n"), "a GET of another database is still: " + other);
    }

    @Test
    void aRequestTargetThatIsNoUriIsRefusedSayingWhyBeforeAnyRouteSeesIt() throws Exception {
        Map<String, String> reasons = new LinkedHashMap<>();
        reasons.put(
                "/example.com\\lib/@v/list", "backslash at index 12 of the request target: paths are separated by '/'");
        reasons.put(
                "/sumdb/sum.golang.org/lookup/example.com\\lib@v1.0.0",
                "backslash at index 40 of the request target: paths are separated by '/'");
        reasons.put("/example.com/l\0ib/@v/list", "control character 0x00 at index 14 of the request target");
        reasons.put(
                "/example.com/lib/@v/list%",
                "malformed percent escape at index 24 of the request target: '%' must be followed by two hex digits");
        reasons.put(
                "/example.com/%zz/@v/list",
                "malformed percent escape at index 13 of the request target: '%' must be followed by two hex digits");
        reasons.put(
                "/example.com/lib/@v/%2",
                "malformed percent escape at index 20 of the request target: '%' must be followed by two hex digits");
        reasons.put(
                "/admin/stats%zz",
                "malformed percent escape at index 12 of the request target: '%' must be followed by two hex digits");
        reasons.put(
                "/example.com/lib/@v/list?x=%zz",
                "malformed percent escape at index 27 of the request target: '%' must be followed by two hex digits");
        reasons.put("/example.com/{lib}/@v/list", "Illegal character in path at index 13 of the request target");
        // the router cannot even match a bad escape against its routes' paths: it would log an ERROR per request
        try (CapturedLog router = CapturedLog.of(RoutingContext.class)) {
            for (Map.Entry<String, String> target : reasons.entrySet()) {
                String response = answer("GET " + target.getKey());
                assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), target.getKey() + ": " + response);
                assertTrue(response.endsWith("\r\n\r\n" + target.getValue() + "\n"), target.getKey() + ": " + response);
            }
            assertEquals(List.of(), router.warnings());
        }
    }

    @Test
    void anUnknownHttpVersionIsRefused() throws Exception {
        try (HostileClient client = client()) {
            String status = client.send("GET /example.com/lib/@v/list HTTP/9.9\r\nHost: x\r\n\r\n")
                    .statusLine(WAIT);
            assertTrue(status == null || status.matches("HTTP/\\S+ (505|501|400) .*"), "answered " + status);
        }
    }

    @Test
    void anUnknownTransferEncodingIsRefused() throws Exception {
        try (HostileClient client = client()) {
            String status = client.send(
                            "GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n")
                    .statusLine(WAIT);
            assertTrue(status != null && status.matches("HTTP/1\\.1 (501|400) .*"), "answered " + status);
            assertTrue(client.closedWithin(WAIT), "and the connection is closed: its framing is unknown");
        }
    }

    @Test
    void aRequestWithBothContentLengthAndTransferEncodingClosesTheConnection() throws Exception {
        try (HostileClient client = client()) {
            String status = client.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                    .statusLine(WAIT);
            assertTrue(status == null || status.startsWith("HTTP/1.1 400 "), "answered " + status);
            assertTrue(
                    client.closedWithin(WAIT),
                    "a request that may be smuggling another is not followed by more on that connection");
        }
    }

    @Test
    void anyMethodWithContentLengthAndTransferEncodingIsRefusedAndNothingSmuggledIsAnswered() throws Exception {
        // a front end framing by Content-Length sees one POST; the chunked reading ends its body at "0" and would
        // take the GET after it for a second request
        // a path a route refuses at once (capitals must be case-encoded), so that a smuggled request let through
        // would be answered here; one that is never routed is aModuleRequestSmuggledBehindARefusedOneIsNeverFetched
        String smuggled = "0\r\n\r\nGET /Example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\n\r\n";
        try (HostileClient client = client()) {
            String response = client.send("POST /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nContent-Length: "
                            + smuggled.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled)
                    .untilClosed(WAIT);
            assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
            assertEquals(1, response.split("HTTP/1\\.1 ", -1).length - 1, "one answer, nothing smuggled: " + response);
        }
    }

    @Test
    void aTransferEncodingNamedTwiceIsReadWhole() throws Exception {
        try (HostileClient client = client()) {
            String response = client.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\n"
                            + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n")
                    .untilClosed(WAIT);
            assertTrue(response.startsWith("HTTP/1.1 501 Not Implemented\r\n"), response);
            assertTrue(response.endsWith("Transfer-Encoding chunked, identity is not supported\n"), response);
        }
    }

    @Test
    void aRefusalOverHttp2IsAWellFormedAnswerAndTheConnectionServesOn() throws Exception {
        HttpClient http2 =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        URI list = URI.create("http://127.0.0.1:" + env.proxy().port() + "/example.com/lib/@v/list");
        // the first request upgrades the connection (h2c); the next ones are streams on it
        HttpResponse<String> upgraded = http2.send(HttpRequest.newBuilder(list).build(), BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, upgraded.version());
        HttpResponse<String> refused = http2.send(
                HttpRequest.newBuilder(list)
                        .method("GET", BodyPublishers.ofString("hello"))
                        .build(),
                BodyHandlers.ofString());
        assertEquals(400, refused.statusCode());
        assertEquals("a GET has no body in the GOPROXY protocol\n", refused.body());
        HttpResponse<String> after = http2.send(HttpRequest.newBuilder(list).build(), BodyHandlers.ofString());
        assertEquals(200, after.statusCode());
        assertEquals(HttpClient.Version.HTTP_2, after.version());
    }

    @Test
    void aGetWithABodyIsRefusedAndItsConnectionClosed() throws Exception {
        try (HostileClient client = client()) {
            // what follows the declared body would otherwise be read as the next request
            String status = client.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                            + "helloGET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\n\r\n")
                    .statusLine(WAIT);
            assertEquals("HTTP/1.1 400 Bad Request", status);
            assertTrue(client.closedWithin(WAIT), "nothing after it is read as a request");
        }
        try (HostileClient client = client()) {
            assertEquals(
                    "HTTP/1.1 200 OK",
                    client.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                            .statusLine(WAIT),
                    "an empty body is no body");
        }
    }

    @Test
    void anHttp11RequestWithoutHostIsRefusedInOneLineOfTextLikeEveryOtherRefusal() throws Exception {
        try (HostileClient client = client()) {
            // the router refuses it before any handler runs; the framework's answer would be a JSON error page
            String response = client.send("GET /example.com/lib/@v/list HTTP/1.1\r\nConnection: close\r\n\r\n")
                    .untilClosed(WAIT);
            assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
            assertTrue(
                    response.toLowerCase(java.util.Locale.ROOT)
                            .contains("\r\ncontent-type: text/plain; charset=utf-8\r\n"),
                    response);
            assertTrue(response.endsWith("\r\n\r\nFor HTTP/1.x requests, the 'Host' header is required\n"), response);
        }
        try (HostileClient client = client()) {
            assertEquals(
                    "HTTP/1.0 200 OK",
                    client.send("GET /example.com/lib/@v/list HTTP/1.0\r\n\r\n").statusLine(WAIT),
                    "HTTP/1.0 needs no Host");
        }
    }

    @Test
    void aRequestWithTwoHostHeadersIsRefusedAndItsConnectionClosed() throws Exception {
        try (HostileClient client = client()) {
            // RFC 9112 3.2: a front proxy and this server might each take a different one as the target
            String response = client.send(
                            "GET /example.com/lib/@v/list HTTP/1.1\r\nHost: a.example\r\n" + "Host: b.example\r\n\r\n")
                    .untilClosed(WAIT);
            assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
            assertTrue(response.endsWith("\r\n\r\nmore than one Host header\n"), response);
        }
    }

    @Test
    void aRequestTargetThatIsNotAPathIsABadRequestWithItsReason() throws Exception {
        for (String requestLine : new String[] {
            "GET * HTTP/1.1", "CONNECT example.com:443 HTTP/1.1", "GET example.com/lib/@v/list HTTP/1.1",
        }) {
            try (HostileClient client = client()) {
                String response = client.send(requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .untilClosed(WAIT);
                assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), requestLine + " answered " + response);
                assertTrue(
                        response.endsWith("\r\n\r\nthe request target must be a path starting with '/'\n"),
                        requestLine + " answered " + response);
            }
        }
    }

    @Test
    void optionsForTheWholeServerSaysWhichMethodsItTakes() throws Exception {
        try (HostileClient client = client()) {
            // RFC 9112 3.2.4: the asterisk form is valid for OPTIONS
            String response =
                    client.send("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").statusLine(WAIT);
            assertEquals("HTTP/1.1 204 No Content", response);
            assertEquals(
                    "HTTP/1.1 200 OK",
                    client.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\n\r\n")
                            .statusLine(WAIT),
                    "the connection serves on");
        }
        try (HostileClient client = client()) {
            String response = client.send("OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .untilClosed(WAIT);
            assertTrue(response.toLowerCase(Locale.ROOT).contains("\r\nallow: get, head\r\n"), response);
        }
    }

    /** The router fails the asterisk form before any handler runs: its framing is checked all the same. */
    @Test
    void optionsForTheWholeServerIsFramedAsEveryOtherRequest() throws Exception {
        // a path a route refuses at once (capitals must be case-encoded), so that a smuggled request let through
        // would be answered here; one that is never routed is aModuleRequestSmuggledBehindARefusedOneIsNeverFetched
        String smuggled = "0\r\n\r\nGET /Example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\n\r\n";
        try (HostileClient client = client()) {
            String response = client.send("OPTIONS * HTTP/1.1\r\nHost: x\r\nContent-Length: " + smuggled.length()
                            + "\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled)
                    .untilClosed(WAIT);
            assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
            assertEquals(1, response.split("HTTP/1\\.1 ", -1).length - 1, "one answer, nothing smuggled: " + response);
        }
        for (String headers : new String[] {"Host: a\r\nHost: b\r\n", ""}) {
            try (HostileClient client = client()) {
                String response =
                        client.send("OPTIONS * HTTP/1.1\r\n" + headers + "\r\n").untilClosed(WAIT);
                assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), headers + ": " + response);
            }
        }
    }

    /**
     * The answer to a refused request ends before the connection closes; a request smuggled behind it that a route
     * answers at once (a POST is a 405 on the event loop) must not be taken in between.
     */
    @Test
    void aSmuggledRequestThatARouteWouldAnswerAtOnceGetsNoAnswer() throws Exception {
        String smuggled = "0\r\n\r\nPOST /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
        for (int attempt = 0; attempt < 5; attempt++) {
            try (HostileClient client = client()) {
                String response = client.send("POST /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                + smuggled.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled)
                        .untilClosed(WAIT);
                assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
                assertEquals(
                        1, response.split("HTTP/1\\.1 ", -1).length - 1, "one answer, nothing smuggled: " + response);
            }
        }
    }

    /**
     * A request smuggled behind a refused one never reaches its route: a module fetch would still go upstream and
     * into the cache though its answer is never sent.
     */
    @Test
    void aModuleRequestSmuggledBehindARefusedOneIsNeverFetched() throws Exception {
        String smuggled = "0\r\n\r\nGET /example.com/lib/@v/v1.0.0.info HTTP/1.1\r\nHost: x\r\n\r\n";
        try (HostileClient client = client()) {
            String response = client.send("POST /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nContent-Length: "
                            + smuggled.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled)
                    .untilClosed(WAIT);
            assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
        }
        // asked for on a connection of its own after the refusal, so fetched after the smuggled request would be
        assertTrue(answer("GET /example.com/lib/@v/v1.0.0.mod").startsWith("HTTP/1.1 200 "));
        assertEquals(1, env.upstream().hits("example.com/lib/@v/v1.0.0.mod"));
        // a fetch runs on the download threads: a smuggled one may reach the upstream a little after the .mod's
        await().during(Duration.ofMillis(500))
                .atMost(WAIT)
                .untilAsserted(() -> assertEquals(
                        0, env.upstream().hits("example.com/lib/@v/v1.0.0.info"), "the smuggled request was fetched"));
    }

    @Test
    void aHostHeaderThatIsNoHostIsRefusedAsSuch() throws Exception {
        for (String host : new String[] {"a b", "a/b"}) {
            try (HostileClient client = client()) {
                String response = client.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: " + host
                                + "\r\nConnection: close\r\n\r\n")
                        .untilClosed(WAIT);
                assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), host + " answered " + response);
                assertTrue(
                        response.endsWith("\r\n\r\nthe Host header is not a host name or address with an optional"
                                + " port: '" + host + "'\n"),
                        host + " answered " + response);
            }
        }
    }

    @Test
    void dotSegmentsAndPrefixLookalikesAreRefusedWhateverTheyWouldNormalizeTo() throws Exception {
        for (String path : new String[] {
            "/sumdb/sum.golang.org/../../example.com/lib/@v/list", // normalizes to a module path
            "/example.com/lib/@v/../@v/list",
            "/sumdb",
        }) {
            try (HostileClient client = client()) {
                String status = client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
                        .statusLine(WAIT);
                assertTrue(status != null && status.matches("HTTP/1\\.1 4\\d\\d .*"), path + " answered " + status);
            }
        }
    }

    @Test
    void aPathOnlyResolvingToTheChecksumDatabaseIsNotAnsweredAsIfItWereOne() throws Exception {
        env.restart(ProxyUnderTest.options().sumdb(SUMDB_KEY + " " + ClosedPort.url(), "", false));
        // the path as written: answered by the database's paths, without reaching the database
        assertTrue(
                answer("GET /sumdb/sum.test/tile/9/0/000").endsWith("\r\n\r\ntile height must be 8: tile/9/0/000\n"));
        // a go command whose GOPROXY ends in "//" asks "//sumdb/<name>/supported": the router resolves these to the
        // database's paths, which said the proxy serves only the database they named. (The same holds for /admin on the
        // serving port: aPathOnlyResolvingToTheAdminApiIsNotToldItIsOnTheManagementPort, on the serving routes alone.)
        for (String path : List.of(
                "//sumdb/sum.test/tile/9/0/000",
                "/x/../sumdb/sum.test/tile/9/0/000",
                "/%2e%2e/sumdb/sum.test/tile/9/0/000")) {
            String response = answer("GET " + path);
            assertTrue(response.startsWith("HTTP/1.1 404 Not Found\r\n"), path + ": " + response);
            assertTrue(
                    response.endsWith("\r\n\r\nnot a GOPROXY endpoint: expected $module/@v/... or $module/@latest\n"),
                    path + ": " + response);
        }
        for (String path : List.of(
                "/sumdb/./sum.test/tile/9/0/000", "/sumdb//sum.test/tile/9/0/000", "/sumdb/x/../sum.test/latest")) {
            String response = answer("GET " + path);
            assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), path + ": " + response);
            assertTrue(
                    response.endsWith("\r\n\r\nnot a checksum database path: " + path + "\n"), path + ": " + response);
        }
        assertEquals(0, env.upstream().totalHits(), "nothing was asked upstream");
    }

    /**
     * The /admin half of the routing by the path as sent, on a router with the serving port's routes only (as the
     * proxy runs them): a path that only resolves to /admin is a GOPROXY path, not told the admin API is elsewhere.
     * One not percent-decodable ({@code %2F}) was still taken for one under /admin.
     */
    @Test
    void aPathOnlyResolvingToTheAdminApiIsNotToldItIsOnTheManagementPort() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            env.proxy().assembly.routes().installServing(router);
            int port = vertx.createHttpServer()
                    .requestHandler(router)
                    .listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get()
                    .actualPort();
            for (String path : List.of("/admin/stats", "/admin/%73tats", "/admin")) {
                String response = servingOnly(port, path);
                assertTrue(response.startsWith("HTTP/1.1 404 Not Found\r\n"), path + ": " + response);
                assertTrue(
                        response.endsWith("\r\n\r\nthe admin API is served on the management port"
                                + " (QUARKUS_MANAGEMENT_PORT, default 9000)\n"),
                        path + ": " + response);
            }
            for (String path : List.of("//admin/stats", "/example.com/../admin/stats", "/%2e%2e/admin/stats")) {
                String response = servingOnly(port, path);
                assertTrue(response.startsWith("HTTP/1.1 404 Not Found\r\n"), path + ": " + response);
                assertTrue(
                        response.endsWith(
                                "\r\n\r\nnot a GOPROXY endpoint: expected $module/@v/... or $module/@latest\n"),
                        path + ": " + response);
            }
            // as the GOPROXY paths refuse it, with the reason
            String escapedSlash = servingOnly(port, "/%2F/../admin/stats");
            assertTrue(escapedSlash.startsWith("HTTP/1.1 400 Bad Request\r\n"), escapedSlash);
            assertTrue(!escapedSlash.contains("management port"), escapedSlash);
            String goProxyPath = answer("GET /%2F/x/@v/list");
            assertEquals(
                    goProxyPath.substring(goProxyPath.indexOf("\r\n\r\n")),
                    escapedSlash.substring(escapedSlash.indexOf("\r\n\r\n")));
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    private static String servingOnly(int port, String path) throws Exception {
        try (HostileClient client = new HostileClient(port)) {
            return client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .untilClosed(WAIT);
        }
    }

    @Test
    void wellFramedRequestsStillWork() throws Exception {
        try (HostileClient client = client()) {
            assertEquals(
                    "HTTP/1.1 200 OK",
                    client.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\n\r\n")
                            .statusLine(WAIT));
        }
    }
}
