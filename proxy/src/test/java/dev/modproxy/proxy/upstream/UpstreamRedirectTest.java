package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.RawUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redirects to other hosts are followed (mirrors send zips to a CDN), but not into loopback,
 * link-local or private addresses unless the configured upstream itself lives there. Every server
 * here is on loopback, so a resolver stands in for DNS where a host must look public.
 */
class UpstreamRedirectTest {

    private static final String LIST = "example.com/a/@v/list";
    private static final InetAddress PUBLIC = address(203, 0, 113, 9); // TEST-NET-3

    private FakeUpstream mirror;
    private FakeUpstream internalService;

    @BeforeEach
    void start() throws Exception {
        mirror = FakeUpstream.start();
        internalService = FakeUpstream.start();
        internalService.otherwise(FakeUpstream.ok("text/plain", "v1.0.0\n"));
        mirror.on(LIST, exchange -> {
            exchange.getResponseHeaders()
                    .set(
                            "Location",
                            "http://localhost:"
                                    + URI.create(internalService.url()).getPort() + "/" + LIST);
            exchange.sendResponseHeaders(302, -1);
        });
    }

    @AfterEach
    void stop() {
        mirror.close();
        internalService.close();
    }

    private static InetAddress address(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An upstream at the mirror's URL whose host names resolve as given (the rest as DNS says). */
    private Upstream upstream(Map<String, InetAddress> dns) {
        return new Upstream(
                URI.create(mirror.url()),
                HttpClient.newBuilder()
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build(),
                Duration.ofSeconds(5),
                new CircuitBreaker(URI.create("http://127.0.0.1:1/"), 5, Duration.ofSeconds(30)),
                host -> dns.containsKey(host) ? new InetAddress[] {dns.get(host)} : InetAddress.getAllByName(host));
    }

    @Test
    void aRedirectThatIsNotFollowedOrNeverEndsSaysSo() {
        Upstream upstream = upstream(Map.of());
        for (String location : new String[] {
            "file:///etc/passwd", "ftp://127.0.0.1/x.zip", "data:application/zip;base64,UEsFBg==", "gopher://x.test/"
        }) {
            mirror.on(LIST, exchange -> {
                exchange.getResponseHeaders().set("Location", location);
                exchange.sendResponseHeaders(302, -1);
            });

            UnusableAnswerException refused = assertThrows(
                    UnusableAnswerException.class, () -> upstream.get(LIST).close());

            String scheme = location.substring(0, location.indexOf(':'));
            assertTrue(
                    refused.getMessage().contains("redirected to a " + scheme + ": location")
                            && refused.getMessage().contains("not followed"),
                    location + ": " + refused.getMessage());
        }
        FakeUpstream.Behaviour again = exchange -> {
            exchange.getResponseHeaders()
                    .set("Location", "/again" + exchange.getRequestURI().getRawPath());
            exchange.sendResponseHeaders(302, -1);
        };
        mirror.on(LIST, again).otherwise(again);
        UnusableAnswerException loop = assertThrows(
                UnusableAnswerException.class, () -> upstream.get(LIST).close());
        assertTrue(loop.getMessage().contains("more than 10 times"), loop.getMessage());
    }

    @Test
    void aPublicMirrorRedirectingIntoLoopbackIsRefused() {
        Upstream publicMirror = upstream(Map.of("127.0.0.1", PUBLIC));

        UnusableAnswerException refused = assertThrows(
                UnusableAnswerException.class, () -> publicMirror.get(LIST).close());

        assertTrue(refused.getMessage().contains("internal address"), refused.getMessage());
        assertEquals(0, internalService.totalHits(), "the internal service was never asked");
    }

    @Test
    void aPublicMirrorRedirectingIntoPrivateOrLinkLocalRangesIsRefused() {
        for (InetAddress internal : new InetAddress[] {
            address(10, 1, 2, 3),
            address(192, 168, 0, 1),
            address(172, 20, 0, 1),
            address(169, 254, 169, 254),
            address(100, 64, 0, 1)
        }) {
            Upstream publicMirror = upstream(Map.of("127.0.0.1", PUBLIC, "localhost", internal));
            assertThrows(
                    UnusableAnswerException.class, () -> publicMirror.get(LIST).close(), internal.toString());
        }
        assertEquals(0, internalService.totalHits());
    }

    @Test
    void aRedirectToAnotherPublicHostIsFollowed() throws Exception {
        Upstream publicMirror = upstream(Map.of("127.0.0.1", PUBLIC, "localhost", address(198, 51, 100, 7)));

        try (UpstreamResponse answer = publicMirror.get(LIST)) {
            assertEquals(200, answer.status());
            assertEquals("v1.0.0\n", new String(answer.body().readAllBytes()));
        }
    }

    @Test
    void aRedirectTargetThatRefusesTheConnectionIsNamedNotTheUpstream() {
        URI closed = URI.create(ClosedPort.url());
        mirror.on(LIST, exchange -> {
            exchange.getResponseHeaders()
                    .set("Location", "http://user:secret@" + closed.getAuthority() + "/zips/" + LIST + "?token=signed");
            exchange.sendResponseHeaders(302, -1);
        });

        java.io.IOException refused = assertThrows(
                java.io.IOException.class, () -> upstream(Map.of()).get(LIST).close());

        String mirrorHost = URI.create(mirror.url()).getAuthority();
        assertEquals(
                mirrorHost + " redirected to http://" + closed.getAuthority() + ", which refused the connection",
                refused.getMessage());
        assertEquals(1, mirror.hits(LIST), "the mirror itself answered");
    }

    @Test
    void aRedirectTargetThatCutsItsAnswerIsNamedNotTheUpstream() throws Exception {
        String mirrorHost = URI.create(mirror.url()).getAuthority();
        try (RawUpstream target = RawUpstream.start()) {
            target.on("no-head/" + LIST, (out, server) -> {}) // reads the request, closes without a byte
                    .on(
                            "cut-body/" + LIST,
                            RawUpstream.raw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"
                                    + "v1.0.0\n"));
            String targetUrl = "http://localhost:" + target.port();

            for (String cut : new String[] {"no-head", "cut-body"}) {
                mirror.on(LIST, exchange -> {
                    exchange.getResponseHeaders().set("Location", targetUrl + "/" + cut + "/" + LIST);
                    exchange.sendResponseHeaders(302, -1);
                });

                IOException failed = assertThrows(IOException.class, () -> {
                    try (UpstreamResponse answer = upstream(Map.of()).get(LIST)) {
                        answer.body().readAllBytes();
                    }
                });

                assertTrue(
                        failed.getMessage().startsWith(mirrorHost + " redirected to " + targetUrl + ", which "),
                        cut + ": " + failed.getMessage());
            }
        }
    }

    @Test
    void anUpstreamThatLivesOnLoopbackMayRedirectThere() throws Exception {
        try (UpstreamResponse answer = upstream(Map.of()).get(LIST)) {
            assertEquals(200, answer.status(), "a mirror inside the cluster may send clients to its own storage");
        }
    }
}
