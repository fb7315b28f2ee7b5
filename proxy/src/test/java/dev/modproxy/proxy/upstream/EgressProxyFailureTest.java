package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsServer;
import dev.modproxy.proxy.testing.ClosedPort;
import dev.modproxy.proxy.testing.TunnellingEgressProxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the way out itself fails, the reason names the egress proxy, not the upstream: through HTTPS_PROXY or
 * HTTP_PROXY the cache connects to the egress proxy alone and never resolves the upstream's name (the egress proxy
 * does), so a refused connection or a name that does not resolve is the egress proxy's. These upstream names resolve
 * nowhere on this machine (tests read names from a hosts file).
 */
class EgressProxyFailureTest {

    private static final UpstreamChain.Settings SETTINGS =
            new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 5, Duration.ofSeconds(30));
    private static final String MOD = "example.com/lib/@v/v1.2.3.mod";

    @TempDir
    Path dir;

    private static UpstreamResult<String> fetch(String upstream, EgressProxy egress) {
        UpstreamChain chain =
                UpstreamChain.parse(upstream, SETTINGS, UpstreamListener.NONE, egress, UpstreamCredentials.none());
        return chain.fetch(
                MOD, response -> new String(response.body().readAllBytes(), StandardCharsets.UTF_8), () -> true);
    }

    @Test
    void anEgressProxyThatRefusesTheConnectionIsNamedNotTheUpstream() {
        String closed = ClosedPort.url();
        String address = URI.create(closed).getAuthority();

        UpstreamResult<String> https =
                fetch("https://goproxy.corp.test", EgressProxy.of(Map.of("HTTPS_PROXY", closed)));
        UpstreamResult<String> http = fetch("http://plain.corp.test", EgressProxy.of(Map.of("HTTP_PROXY", closed)));

        // it was "goproxy.corp.test failed: goproxy.corp.test refused the connection": the upstream was never asked
        assertEquals(502, https.status(), https.reason());
        assertEquals(
                "goproxy.corp.test failed: the egress proxy " + address + " (HTTPS_PROXY) refused the connection:"
                        + " goproxy.corp.test was not asked (is the egress proxy running, and HTTPS_PROXY its address?)",
                https.reason());
        assertEquals(
                "plain.corp.test failed: the egress proxy " + address + " (HTTP_PROXY) refused the connection:"
                        + " plain.corp.test was not asked (is the egress proxy running, and HTTP_PROXY its address?)",
                http.reason());
    }

    @Test
    void anEgressProxyWhoseNameDoesNotResolveIsNamedNotTheUpstream() {
        UpstreamResult<String> result = fetch(
                "https://goproxy.corp.test", EgressProxy.of(Map.of("HTTPS_PROXY", "http://proxy.nowhere.test:3128")));

        // it was "cannot resolve host goproxy.corp.test (DNS)", a name the cache never looks up behind a proxy
        assertEquals(502, result.status(), result.reason());
        assertEquals(
                "goproxy.corp.test failed: cannot resolve the egress proxy's host proxy.nowhere.test (DNS), named in"
                        + " HTTPS_PROXY: goproxy.corp.test was not asked",
                result.reason());
    }

    @Test
    void anEgressProxyThatCannotReachTheHostSaysSoRatherThanThatItForbidsIt() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create(dir, "Corp Test CA");
        HttpsServer mirror = ca.serve(exchange -> exchange.close(), "dns:goproxy.corp.test");
        // the egress proxy knows goproxy.corp.test only: typo.corp.test is a name its DNS does not know (a 502)
        try (TunnellingEgressProxy egress =
                TunnellingEgressProxy.start(Map.of("goproxy.corp.test:443", mirror.getAddress()))) {
            UpstreamResult<String> result = fetch(
                    "https://typo.corp.test",
                    EgressProxy.of(Map.of("HTTPS_PROXY", egress.url())).trusting(UpstreamTrust.fromPemFile(ca.pem())));

            assertEquals(List.of("typo.corp.test:443"), egress.connectTargets());
            assertEquals(502, result.status(), result.reason());
            // it was "... answered 502 to CONNECT typo.corp.test:443: it does not let the cache reach that host (ask
            // its administrators) ...", the words of a 403
            assertEquals(
                    "typo.corp.test failed: the egress proxy " + egress.address() + " (HTTPS_PROXY) answered 502 to"
                            + " CONNECT typo.corp.test:443: it could not reach that host (a name its DNS does not"
                            + " know, or a host that does not answer it), or reach typo.corp.test directly (NO_PROXY)",
                    result.reason());
        } finally {
            mirror.stop(0);
        }
    }

    @Test
    void anEgressProxyThatNeverAnswersConnectIsNamedInTheTimeout() throws Exception {
        // accepts the connection (the kernel does) and never answers the CONNECT
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + silent.getLocalPort();

            UpstreamResult<String> result =
                    fetch("https://goproxy.corp.test", EgressProxy.of(Map.of("HTTPS_PROXY", "http://" + address)));

            assertEquals(504, result.status(), result.reason());
            assertTrue(
                    result.reason().contains("through the egress proxy " + address + " (HTTPS_PROXY)"),
                    result.reason());
        }
    }

    /**
     * The go command reads socks5:// and socks5h:// in HTTPS_PROXY; this proxy's HTTP client speaks HTTP to every egress
     * proxy, so a SOCKS one was sent CONNECT and every fetch failed with words that named neither SOCKS nor what to do
     * (the JDK's "HTTP/1.1 header parser received no bytes"). It is refused at start,
     * as an unusable proxy URL is, naming the variable, without the password.
     */
    @Test
    void aSocksProxyIsRefusedAtStartNamingItsVariable() {
        for (String variable : List.of("HTTPS_PROXY", "http_proxy")) {
            for (String socks : List.of("socks5://127.0.0.1:1080", "SOCKS5H://pu:s3cret@proxy.corp:1080")) {
                IllegalArgumentException refused =
                        assertThrows(IllegalArgumentException.class, () -> EgressProxy.of(Map.of(variable, socks)));
                assertEquals(
                        variable + " \"" + socks.replace("s3cret", "xxxxx") + "\" is a SOCKS proxy, which this proxy"
                                + " cannot use (the go command can): give an HTTP proxy, http://host:port, which it asks"
                                + " to tunnel https upstreams with CONNECT",
                        refused.getMessage());
            }
        }
    }

    /**
     * An https:// proxy URL asks for TLS to the egress proxy itself, which the go command speaks and the JDK's HTTP
     * client cannot: it was taken, and the client spoke plain HTTP to the proxy's TLS port, so every fetch failed with
     * words that named neither. Refused at start instead, naming the variable, without the password, saying what to
     * give.
     */
    @Test
    void anHttpsProxyUrlIsRefusedAtStartSayingToGiveAnHttpOne() {
        for (String variable : List.of("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")) {
            for (String tls :
                    List.of("https://127.0.0.1:3129", "HTTPS://pu:s3cret@proxy.corp", "https://proxy.corp/")) {
                IllegalArgumentException refused =
                        assertThrows(IllegalArgumentException.class, () -> EgressProxy.of(Map.of(variable, tls)));
                assertEquals(
                        variable + " \"" + tls.replace("s3cret", "xxxxx") + "\" asks for TLS to the egress proxy itself"
                                + " (an https:// proxy URL), which this proxy cannot speak (the go command can): give the"
                                + " egress proxy's plain-HTTP port as an http:// URL, http://host:port (often 3128);"
                                + " https upstreams are still tunnelled through it with CONNECT, TLS end to end",
                        refused.getMessage());
            }
        }
        // the http:// one is taken, and a URL without a scheme is http://, as in Go
        EgressProxy plain = EgressProxy.of(Map.of("HTTPS_PROXY", "http://proxy.corp:3128", "HTTP_PROXY", "proxy.corp"));
        assertEquals(
                List.of(new java.net.Proxy(
                        java.net.Proxy.Type.HTTP, java.net.InetSocketAddress.createUnresolved("proxy.corp", 3128))),
                plain.select(java.net.URI.create("https://mirror.test/")));
        assertEquals(
                List.of(new java.net.Proxy(
                        java.net.Proxy.Type.HTTP, java.net.InetSocketAddress.createUnresolved("proxy.corp", 80))),
                plain.select(java.net.URI.create("http://mirror.test/")));
    }
}
