package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.HostileClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyOnFakeUpstream;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Request framing the proxy must not guess at: unknown HTTP versions, unknown or conflicting body framing. */
class HostileRequestsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final ProxyOnFakeUpstream env =
            ProxyOnFakeUpstream.publishing(u -> Modules.publish(u, "example.com/lib", "v1.0.0"));

    private HostileClient client() throws Exception {
        return new HostileClient(env.proxy().port());
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
    void aRequestTargetThatIsNotAPathIsABadRequestWithItsReason() throws Exception {
        for (String requestLine : new String[] {
            "GET * HTTP/1.1",
            "OPTIONS * HTTP/1.1",
            "CONNECT example.com:443 HTTP/1.1",
            "GET example.com/lib/@v/list HTTP/1.1",
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
    void wellFramedRequestsStillWork() throws Exception {
        try (HostileClient client = client()) {
            assertEquals(
                    "HTTP/1.1 200 OK",
                    client.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\n\r\n")
                            .statusLine(WAIT));
        }
    }
}
