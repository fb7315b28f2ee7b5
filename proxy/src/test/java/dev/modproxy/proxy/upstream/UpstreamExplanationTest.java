package dev.modproxy.proxy.upstream;

import static dev.modproxy.proxy.testing.FakeUpstream.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A refusal from upstream reaches the go command with the upstream's own reason, made safe. */
class UpstreamExplanationTest {

    private static final String INFO = "example.com/lib/@v/v9.9.9.info";

    @TempDir
    Path cacheDir;

    FakeUpstream upstream;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void theUpstreamsReasonForA404ReachesTheClient() throws Exception {
        upstream.on(INFO, status(404, "not found: example.com/lib@v9.9.9: invalid version: unknown revision v9.9.9\n"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + INFO);

            assertEquals(404, response.statusCode());
            assertTrue(response.body().contains("unknown revision v9.9.9"), response.body());
            assertTrue(response.body().contains("127.0.0.1"), "names the upstream that said it: " + response.body());

            HttpResponse<String> remembered = proxy.getText("/" + INFO);
            assertEquals(404, remembered.statusCode());
            assertEquals(response.body(), remembered.body(), "the remembered refusal keeps the reason");
            assertEquals(1, upstream.hits(INFO));
        }
    }

    @Test
    void theUpstreamsReasonForA410AndAForbiddenAnswerReachesTheClient() throws Exception {
        upstream.on(INFO, status(410, "gone: retracted by its author"));
        upstream.on("example.com/secret/@v/list", status(403, "forbidden: example.com/secret is excluded here"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir)) {
            HttpResponse<String> gone = proxy.getText("/" + INFO);
            HttpResponse<String> forbidden = proxy.getText("/example.com/secret/@v/list");

            assertEquals(410, gone.statusCode());
            assertTrue(gone.body().contains("gone: retracted by its author"), gone.body());
            assertEquals(403, forbidden.statusCode(), "an upstream's 403 is passed on");
            assertTrue(forbidden.body().contains("answered 403"), forbidden.body());
            assertTrue(forbidden.body().contains("example.com/secret is excluded here"), forbidden.body());
        }
    }

    @Test
    void aReasonSentWithoutAContentTypeIsPassedOnUnlessItIsAPageOrBinary() throws Exception {
        // proxy.golang.org's allow-list mirror answers a module host it does not serve so: 400, no Content-Type
        upstream.on(
                "example.org/lib/@v/list",
                untyped(400, "Go module host not permitted".getBytes(StandardCharsets.UTF_8)));
        upstream.on(INFO, untyped(404, "<html><body>not here</body></html>".getBytes(StandardCharsets.UTF_8)));
        upstream.on("example.com/bin/@v/list", untyped(404, new byte[] {'o', 'k', 0, (byte) 0xff, 'x'}));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir)) {
            HttpResponse<String> refused = proxy.getText("/example.org/lib/@v/list");
            HttpResponse<String> page = proxy.getText("/" + INFO);
            HttpResponse<String> binary = proxy.getText("/example.com/bin/@v/list");

            assertEquals(400, refused.statusCode(), refused.body());
            assertTrue(
                    refused.body()
                            .strip()
                            .endsWith("answered 400 for example.org/lib/@v/list: Go module host not permitted"),
                    refused.body());
            assertEquals(404, page.statusCode());
            assertTrue(page.body().strip().endsWith("answered 404 for " + INFO), page.body());
            assertEquals(404, binary.statusCode());
            assertTrue(binary.body().strip().endsWith("answered 404 for example.com/bin/@v/list"), binary.body());
        }
    }

    /** A refusal with a body and no Content-Type header. */
    private static FakeUpstream.Behaviour untyped(int status, byte[] body) {
        return exchange -> {
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
        };
    }

    @Test
    void anHtmlErrorPageIsNotPassedOn() throws Exception {
        upstream.on(INFO, exchange -> {
            byte[] page = "<html><body><h1>404 Not Found</h1></body></html>".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html");
            exchange.sendResponseHeaders(404, page.length);
            exchange.getResponseBody().write(page);
        });
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + INFO);

            assertEquals(404, response.statusCode());
            assertFalse(response.body().contains("<"), response.body());
            assertTrue(response.body().contains("answered 404 for " + INFO), response.body());
        }
    }

    @Test
    void aCompressedReasonIsLeftOut() throws Exception {
        upstream.on(INFO, exchange -> {
            ByteArrayOutputStream zipped = new ByteArrayOutputStream();
            try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
                gzip.write("not found: unknown revision v9.9.9".getBytes(StandardCharsets.UTF_8));
            }
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.getResponseHeaders().set("Content-Encoding", "gzip");
            exchange.sendResponseHeaders(404, zipped.size());
            exchange.getResponseBody().write(zipped.toByteArray());
        });
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + INFO);

            assertEquals(404, response.statusCode());
            assertTrue(response.body().endsWith("answered 404 for " + INFO + "\n"), response.body());
        }
    }

    @Test
    void aHostileReasonArrivesAsOneShortPrintableLine() throws Exception {
        String hostile = "not found\r\nX-Injected: yes\n\u001b[31mred\u001b[0m \u202Eevil\u202C" + "x".repeat(5000);
        upstream.on(INFO, status(404, hostile));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + INFO);

            assertEquals(404, response.statusCode());
            assertTrue(response.headers().firstValue("X-Injected").isEmpty());
            String body = response.body();
            assertEquals(body.length() - 1, body.indexOf('\n'), "one line: " + body);
            assertTrue(body.contains("not found X-Injected: yes [31mred [0m evil"), body);
            assertTrue(body.chars().noneMatch(c -> c == 0x1b || c == 0x202E || c == '\r'), body);
            assertTrue(body.length() < 600, "bounded, was " + body.length());
        }
    }

    @Test
    void aRefusalWhoseBodyStallsIsPassedOnWithoutTheReason() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        upstream.on(INFO, exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(404, 100);
            exchange.getResponseBody().write("not fo".getBytes(StandardCharsets.UTF_8));
            exchange.getResponseBody().flush();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        // the read timeout is far longer than the client waits: only the refusal's own short wait can answer in time
        var options = ProxyUnderTest.options().readTimeout(Duration.ofSeconds(60));
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            HttpResponse<String> response = proxy.client()
                    .send(
                            HttpRequest.newBuilder(URI.create(proxy.url() + "/" + INFO))
                                    .timeout(Duration.ofSeconds(20))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            assertEquals(404, response.statusCode());
            assertTrue(response.body().contains("answered 404 for " + INFO), response.body());
            assertFalse(response.body().contains("not fo"), "no half a reason: " + response.body());
        } finally {
            release.countDown();
        }
    }

    @Test
    void cleaningKeepsTextAndDropsWhatATerminalOrALogWouldInterpret() throws Exception {
        assertEquals("a b c", UpstreamExplanation.clean("  a\tb\r\n\u0000c \n"));
        assertEquals("模块 not found", UpstreamExplanation.clean("模块 not found"));
        assertEquals("bad", UpstreamExplanation.clean("b\u200Ba\uFFFDd"));
        String longText = UpstreamExplanation.clean("y".repeat(2000));
        assertEquals(UpstreamExplanation.MAX_KEPT_BYTES + 3, longText.length());
        String wide = UpstreamExplanation.clean("模".repeat(2000)); // three bytes a character
        assertEquals(UpstreamExplanation.MAX_KEPT_BYTES / 3 + 3, wide.length(), "bounded in bytes, not characters");
        assertTrue(longText.endsWith("..."));
        // an upstream names the module first: its path keeps its two ends, and the reason after it stays
        String path = "example.com/" + "a".repeat(199) + "/" + "b".repeat(188) + "@v1.0.0:";
        String named = UpstreamExplanation.read(
                "text/plain",
                new ByteArrayInputStream(
                        ("not found: " + path + " unknown revision v1.0.0").getBytes(StandardCharsets.UTF_8)),
                java.util.List.of());
        assertTrue(named.startsWith("not found: example.com/aaa"), named);
        assertTrue(named.endsWith("bbb@v1.0.0: unknown revision v1.0.0"), named);
        assertEquals(
                "not found: ".length() + UpstreamExplanation.LONGEST_WORD + " unknown revision v1.0.0".length(),
                named.length());
        String wideWord = UpstreamExplanation.read(
                "text/plain",
                new ByteArrayInputStream("é".repeat(100).getBytes(StandardCharsets.UTF_8)),
                java.util.List.of());
        assertTrue(wideWord.matches("é+\\.\\.\\.é+"), wideWord);
        assertEquals(
                "",
                UpstreamExplanation.read(
                        "application/json",
                        new ByteArrayInputStream("{\"a\":1}".getBytes(StandardCharsets.UTF_8)),
                        java.util.List.of()));
        assertEquals(
                "upstream says no",
                UpstreamExplanation.read(
                        "text/plain; charset=utf-8",
                        new ByteArrayInputStream("upstream says no\n".getBytes(StandardCharsets.UTF_8)),
                        java.util.List.of()));
    }

    /**
     * An upstream that echoes the request it refused, its Authorization header and the login in its URL included:
     * the reason reaches the client, the password does not, in any of the forms it travels in.
     */
    @Test
    void anUpstreamEchoingTheLoginItWasSentDoesNotPassItOn() throws Exception {
        String token = java.util.Base64.getEncoder().encodeToString("ci:hunter2".getBytes(StandardCharsets.UTF_8));
        upstream.on(INFO, exchange -> {
            byte[] echo = ("internal error serving " + INFO + " for "
                            + exchange.getRequestHeaders().getFirst("Authorization")
                            + " (ci:hunter2 via http://ci:hunter2@mirror/; raw token " + token
                            + "; another client's Bearer ghp_0ther7oken)\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(500, echo.length);
            exchange.getResponseBody().write(echo);
        });
        String withLogin = upstream.url().replace("http://", "http://ci:hunter2@");
        try (ProxyUnderTest proxy = new ProxyUnderTest(withLogin, cacheDir)) {
            HttpResponse<String> response = proxy.getText("/" + INFO);

            assertEquals(502, response.statusCode());
            assertTrue(response.body().contains("internal error serving"), response.body());
            assertTrue(response.body().contains("Basic xxxxx"), response.body());
            assertFalse(response.body().contains("hunter2"), response.body());
            assertFalse(response.body().contains(token), response.body());
            assertFalse(response.body().contains("0ther7oken"), response.body());
        }
    }
}
