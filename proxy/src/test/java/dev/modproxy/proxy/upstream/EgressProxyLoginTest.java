package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import dev.modproxy.proxy.resilience.CircuitState;
import dev.modproxy.proxy.testing.TunnellingEgressProxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The login in HTTPS_PROXY / HTTP_PROXY ({@code http://user:password@proxy:port}, percent-encoded), sent as the go
 * command sends it: {@code Proxy-Authorization: Basic} to that egress proxy alone, once a request.
 */
class EgressProxyLoginTest {

    private static final UpstreamChain.Settings SETTINGS =
            new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 5, Duration.ofSeconds(30));
    private static final String MOD = "example.com/lib/@v/v1.2.3.mod";
    private static final String MIRROR = "goproxy.corp.test";
    /** Every character a URL's userinfo needs percent-encoded, and a '+', which stays a '+'. */
    private static final String PASSWORD = "p@ss:w/rd%#?+é";

    private static final String ENCODED_PASSWORD = "p%40ss%3Aw%2Frd%25%23%3F+%C3%A9";

    @TempDir
    Path dir;

    private final List<String> mirrorHeaders = new CopyOnWriteArrayList<>();

    private HttpsServer mirror(TestCertificateAuthority ca) throws Exception {
        return ca.serve(
                exchange -> {
                    exchange.getRequestHeaders()
                            .forEach(
                                    (name, values) -> mirrorHeaders.add(name.toLowerCase(Locale.ROOT) + ": " + values));
                    byte[] body = "module example.com/lib\n".getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.close();
                },
                "dns:" + MIRROR);
    }

    private static UpstreamChain chain(String upstream, EgressProxy egress) {
        return UpstreamChain.parse(upstream, SETTINGS, UpstreamListener.NONE, egress, UpstreamCredentials.none());
    }

    private static UpstreamResult<String> fetch(UpstreamChain chain) {
        return fetch(chain, MOD);
    }

    private static UpstreamResult<String> fetch(UpstreamChain chain, String path) {
        return chain.fetch(
                path, response -> new String(response.body().readAllBytes(), StandardCharsets.UTF_8), () -> true);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theLoginInHttpsProxyGoesPercentDecodedOnConnectToTheEgressProxyAndNeverInsideTheTunnel() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create(dir, "Corp Test CA");
        HttpsServer mirror = mirror(ca);
        try (TunnellingEgressProxy egress =
                TunnellingEgressProxy.requiringLogin(Map.of(MIRROR + ":443", mirror.getAddress()), "ci", PASSWORD)) {
            EgressProxy way = EgressProxy.of(
                            Map.of("HTTPS_PROXY", "http://ci:" + ENCODED_PASSWORD + "@" + egress.address()))
                    .trusting(UpstreamTrust.fromPemFile(ca.pem()));

            UpstreamResult<String> result = fetch(chain("https://" + MIRROR, way));

            // it was a 407: the login in HTTPS_PROXY was never sent
            assertEquals(200, result.status(), result.reason());
            assertEquals(List.of("CONNECT " + MIRROR + ":443 HTTP/1.1"), egress.requestLines());
            assertTrue(
                    egress.heads().get(0).contains("Proxy-Authorization: " + basic("ci", PASSWORD)),
                    egress.heads().toString());
            // the mirror is not the egress proxy: no login of the proxy's reaches it
            assertFalse(mirrorHeaders.isEmpty());
            assertTrue(
                    mirrorHeaders.stream()
                            .noneMatch(header -> header.startsWith("proxy-") || header.startsWith("authorization")),
                    mirrorHeaders.toString());
        } finally {
            mirror.stop(0);
        }
    }

    @Test
    void aRefusedLoginIsSentOnceARequestWordedAsRefusedNeverShownAndLeavesTheCircuitClosed() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create(dir, "Corp Test CA");
        HttpsServer mirror = mirror(ca);
        try (TunnellingEgressProxy egress = TunnellingEgressProxy.requiringLogin(
                Map.of(MIRROR + ":443", mirror.getAddress()), "ci", "the-right-one")) {
            EgressProxy way = EgressProxy.of(Map.of("HTTPS_PROXY", "http://ci:wrong-pw@" + egress.address()))
                    .trusting(UpstreamTrust.fromPemFile(ca.pem()));
            UpstreamChain chain = chain("https://" + MIRROR, way);

            // more modules than the circuit's threshold (5 distinct modules failing opens it)
            for (int request = 1; request <= 7; request++) {
                UpstreamResult<String> result = fetch(chain, "example.com/lib" + request + "/@v/v1.0.0.mod");

                assertEquals(502, result.status(), result.reason());
                // it was "... it wants a login, and this proxy sends none to an egress proxy ...", then, from the
                // sixth request on, "skipped: circuit open after repeated failures"
                assertEquals(
                        MIRROR + " failed: the egress proxy " + egress.address() + " (HTTPS_PROXY) answered 407 Proxy"
                                + " Authentication Required: it refused the login of user ci given in HTTPS_PROXY"
                                + " (check its user and password; characters such as @ : / % # ? in them"
                                + " percent-encoded, as in any URL)",
                        result.reason());
                // one CONNECT, one 407, a request: the JDK does not send the refused login again
                assertEquals(
                        request,
                        egress.requestLines().size(),
                        egress.requestLines().toString());
            }
            assertEquals(
                    CircuitState.CLOSED,
                    ((UpstreamChain.Proxy) chain.entries().get(0))
                            .upstream()
                            .breaker()
                            .state());
            assertTrue(
                    egress.heads().stream().allMatch(head -> head.contains(basic("ci", "wrong-pw"))),
                    egress.heads().toString());
            assertEquals(List.of(), mirrorHeaders);
        } finally {
            mirror.stop(0);
        }
    }

    @Test
    void theLoginInHttpProxyGoesOnPlainRequestsThroughItAndNotToAHostReachedDirectly() throws Exception {
        List<String> direct = new CopyOnWriteArrayList<>();
        HttpServer plain = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        plain.createContext("/", exchange -> {
            direct.add(exchange.getRequestURI() + " "
                    + exchange.getRequestHeaders().keySet());
            byte[] body = "module example.com/lib\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        plain.start();
        int port = plain.getAddress().getPort();
        try (TunnellingEgressProxy egress = TunnellingEgressProxy.requiringLogin(
                Map.of("mirror.corp.test:" + port, plain.getAddress()), "ci", PASSWORD)) {
            EgressProxy way = EgressProxy.of(Map.of(
                    "http_proxy", "ci:" + ENCODED_PASSWORD + "@" + egress.address(), "NO_PROXY", "direct.corp.test"));

            UpstreamResult<String> through = fetch(chain("http://mirror.corp.test:" + port, way));
            assertEquals(200, through.status(), through.reason());
            assertEquals(
                    List.of("GET http://mirror.corp.test:" + port + "/" + MOD + " HTTP/1.1"), egress.requestLines());
            assertTrue(
                    egress.heads().get(0).contains("Proxy-Authorization: " + basic("ci", PASSWORD)),
                    egress.heads().toString());

            // loopback is never reached through the proxy, nor is its login sent there
            UpstreamResult<String> loopback = fetch(chain("http://127.0.0.1:" + port, way));
            assertEquals(200, loopback.status(), loopback.reason());
            assertEquals(1, egress.requestLines().size(), egress.requestLines().toString());
            assertEquals(2, direct.size(), direct.toString());
            assertTrue(
                    direct.stream()
                            .noneMatch(
                                    request -> request.toLowerCase(Locale.ROOT).contains("proxy-")),
                    direct.toString());
        } finally {
            plain.stop(0);
        }
    }

    @Test
    void aLoginGoesOnlyToTheProxyOfItsOwnVariableAndNeverOnADirectPath() {
        EgressProxy way = EgressProxy.of(Map.of(
                "HTTPS_PROXY", "http://secure.corp:3128",
                "HTTP_PROXY", "http://ci:pw@plain.corp:3128",
                "NO_PROXY", "corp.example.com"));

        assertEquals(Optional.of(basic("ci", "pw")), way.authorizationFor(URI.create("http://mirror.test/x")));
        assertEquals(Optional.of("user ci"), way.userFor(URI.create("http://mirror.test/x")));
        // HTTPS_PROXY has no login: HTTP_PROXY's is another proxy's
        assertEquals(Optional.empty(), way.authorizationFor(URI.create("https://mirror.test/x")));
        // reached directly: NO_PROXY, loopback, localhost
        assertEquals(Optional.empty(), way.authorizationFor(URI.create("http://git.corp.example.com/x")));
        assertEquals(Optional.empty(), way.authorizationFor(URI.create("http://127.0.0.1:8080/x")));
        assertEquals(Optional.empty(), way.authorizationFor(URI.create("http://localhost/x")));

        // as Go's url.Parse and net/http: user and password each percent-decoded, '+' kept, no password empty
        EgressProxy encoded = EgressProxy.of(Map.of("HTTPS_PROXY", "http://d%C3%A9v%3Aops:a+b%2Fc@proxy.corp"));
        assertEquals(
                Optional.of(basic("dév:ops", "a+b/c")), encoded.authorizationFor(URI.create("https://mirror.test/x")));
        EgressProxy token = EgressProxy.of(Map.of("HTTPS_PROXY", "http://t0ken@proxy.corp"));
        assertEquals(Optional.of(basic("t0ken", "")), token.authorizationFor(URI.create("https://mirror.test/x")));
        // a login of one part may be a token: a refusal names no user then
        assertEquals(Optional.of(""), token.userFor(URI.create("https://mirror.test/x")));
        assertTrue(token.secrets().contains("t0ken"), token.secrets().toString());
        assertFalse(token.toString().contains("t0ken"), token.toString());
        assertEquals(Optional.empty(), EgressProxy.of(Map.of()).authorizationFor(URI.create("https://mirror.test/x")));
        // whatever prints it shows no login
        assertFalse(way.toString().contains("pw"), way.toString());
    }

    @Test
    void aLoginWithReservedCharactersLeftRawIsRefusedAtStartSayingHowToWriteItWithoutShowingIt() {
        String hint = " (characters such as @ : / % # ? in its login are percent-encoded, as in any URL: @ as %40, / as"
                + " %2F, % as %25, # as %23, ? as %3F)";
        // java.net.URI finds no host when the password holds a raw '@' (Go would take it): it was "has no host name"
        IllegalArgumentException at = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> EgressProxy.of(Map.of("HTTPS_PROXY", "http://ci:p@ss@proxy.corp:3128")));
        assertEquals("HTTPS_PROXY \"http://ci:xxxxx@proxy.corp:3128\" has no host name" + hint, at.getMessage());
        IllegalArgumentException percent = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> EgressProxy.of(Map.of("HTTP_PROXY", "http://ci:100%sure@proxy.corp:3128")));
        assertEquals(
                "HTTP_PROXY \"http://ci:xxxxx@proxy.corp:3128\" is not a URL (Malformed escape pair)" + hint,
                percent.getMessage());
        assertFalse(percent.getMessage().contains("sure"), percent.getMessage());
    }

    @Test
    void aLoginInAProxyVariableLetsTheJdkSendBasicOnConnect() {
        String before = System.getProperty(EgressProxy.TUNNELING_DISABLED_SCHEMES);
        try {
            System.setProperty(EgressProxy.TUNNELING_DISABLED_SCHEMES, "Basic");
            EgressProxy.of(Map.of("HTTPS_PROXY", "http://proxy.corp:3128"));
            assertEquals("Basic", System.getProperty(EgressProxy.TUNNELING_DISABLED_SCHEMES), "no login, untouched");

            EgressProxy.of(Map.of("https_proxy", "http://ci:pw@proxy.corp:3128"));
            assertEquals("", System.getProperty(EgressProxy.TUNNELING_DISABLED_SCHEMES));
        } finally {
            if (before == null) {
                System.clearProperty(EgressProxy.TUNNELING_DISABLED_SCHEMES);
            } else {
                System.setProperty(EgressProxy.TUNNELING_DISABLED_SCHEMES, before);
            }
        }
    }
}
