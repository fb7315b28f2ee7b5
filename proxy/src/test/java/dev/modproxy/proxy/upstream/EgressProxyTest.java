package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.RecordingEgressProxy;
import java.net.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Upstreams reached through a corporate egress proxy, with the go command's HTTPS_PROXY/HTTP_PROXY/NO_PROXY rules. */
class EgressProxyTest {

    private static final UpstreamChain.Settings SETTINGS =
            new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 5, Duration.ofSeconds(30));
    private static final String MOD = "example.com/lib/@v/v1.2.3.mod";

    @Test
    void plainHttpUpstreamsGoThroughHttpProxyWithTheNameUnresolvedHere() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start();
                RecordingEgressProxy egress = RecordingEgressProxy.start()) {
            Modules.publish(upstream, "example.com/lib", "v1.2.3");
            int port = URI.create(upstream.url()).getPort();
            // mirror.example resolves nowhere on this machine (tests read names from a hosts file): only the proxy can
            // reach it
            UpstreamChain chain = UpstreamChain.parse(
                    "http://mirror.example:" + port,
                    SETTINGS,
                    UpstreamListener.NONE,
                    EgressProxy.of(Map.of("HTTP_PROXY", egress.url())),
                    UpstreamCredentials.none());

            UpstreamResult<String> result =
                    chain.fetch(MOD, response -> new String(response.body().readAllBytes()), () -> true);

            assertEquals(200, result.status(), result.reason());
            assertTrue(result.value().startsWith("module example.com/lib"), result.value());
            assertEquals(List.of("GET http://mirror.example:" + port + "/" + MOD + " HTTP/1.1"), egress.requestLines());
        }
    }

    @Test
    void httpsUpstreamsAreTunnelledWithConnect() throws Exception {
        try (RecordingEgressProxy egress = RecordingEgressProxy.start()) {
            UpstreamChain chain = UpstreamChain.parse(
                    "https://goproxy.cn",
                    SETTINGS,
                    UpstreamListener.NONE,
                    EgressProxy.of(Map.of("https_proxy", egress.url(), "HTTP_PROXY", "http://unused.example:1")),
                    UpstreamCredentials.none());

            UpstreamResult<String> result = chain.fetch(MOD, response -> "unexpected", () -> true);

            assertEquals(List.of("CONNECT goproxy.cn:443 HTTP/1.1"), egress.requestLines());
            assertEquals(502, result.status(), result.reason());
            // it was the JDK's 'goproxy.cn failed: Tunnel failed, got: 403'
            assertEquals(
                    "goproxy.cn failed: the egress proxy "
                            + URI.create(egress.url()).getAuthority() + " (HTTPS_PROXY)"
                            + " answered 403 to CONNECT goproxy.cn:443: it does not let the cache reach that host (ask"
                            + " its administrators), or reach goproxy.cn directly (NO_PROXY)",
                    result.reason());
        }
    }

    @Test
    void anEgressProxyDemandingALoginIsNamedAsTheCauseAndAPipeFallsThroughToTheNextUpstream() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start();
                RecordingEgressProxy egress = RecordingEgressProxy.startDemandingALogin()) {
            Modules.publish(upstream, "example.com/lib", "v1.2.3");
            int port = URI.create(upstream.url()).getPort();
            String proxyAddress = URI.create(egress.url()).getAuthority();
            EgressProxy environment = EgressProxy.of(Map.of("HTTPS_PROXY", egress.url(), "HTTP_PROXY", egress.url()));

            // the JDK's client hands a 407 to CONNECT back as an answer without a body: it was a NullPointerException,
            // 'cache error: Cannot invoke ...subscribe...', a local fault that ended the chain before the '|' entry
            UpstreamChain piped = UpstreamChain.parse(
                    "https://goproxy.cn|http://127.0.0.1:" + port,
                    SETTINGS,
                    UpstreamListener.NONE,
                    environment,
                    UpstreamCredentials.none());
            UpstreamResult<String> fellThrough =
                    piped.fetch(MOD, response -> new String(response.body().readAllBytes()), () -> true);
            assertEquals(200, fellThrough.status(), fellThrough.reason());

            UpstreamChain https = UpstreamChain.parse(
                    "https://goproxy.cn,http://127.0.0.1:" + port,
                    SETTINGS,
                    UpstreamListener.NONE,
                    environment,
                    UpstreamCredentials.none());
            UpstreamResult<String> tunnel = https.fetch(MOD, response -> "unexpected", () -> true);
            assertEquals(502, tunnel.status(), tunnel.reason());
            assertEquals(
                    "goproxy.cn failed: the egress proxy " + proxyAddress + " (HTTPS_PROXY) answered 407 Proxy"
                            + " Authentication Required: it wants a login, and HTTPS_PROXY gives none: give it as"
                            + " http://user:password@host:port (characters such as @ : / % # ? in them"
                            + " percent-encoded), or reach goproxy.cn directly (NO_PROXY)",
                    tunnel.reason());

            // a plain-http upstream's request goes to the egress proxy itself, whose 407 is no answer of the upstream
            UpstreamChain http = UpstreamChain.parse(
                    "http://mirror.example:" + port,
                    SETTINGS,
                    UpstreamListener.NONE,
                    environment,
                    UpstreamCredentials.none());
            UpstreamResult<String> plain = http.fetch(MOD, response -> "unexpected", () -> true);
            assertEquals(502, plain.status(), plain.reason());
            assertEquals(
                    "mirror.example:" + port + " failed: the egress proxy " + proxyAddress + " (HTTP_PROXY) answered"
                            + " 407 Proxy Authentication Required: it wants a login, and HTTP_PROXY gives none: give it"
                            + " as http://user:password@host:port (characters such as @ : / % # ? in them"
                            + " percent-encoded), or reach mirror.example directly (NO_PROXY)",
                    plain.reason());
            assertEquals(
                    List.of(
                            "CONNECT goproxy.cn:443 HTTP/1.1",
                            "CONNECT goproxy.cn:443 HTTP/1.1",
                            "GET http://mirror.example:" + port + "/" + MOD + " HTTP/1.1"),
                    egress.requestLines());
        }
    }

    @Test
    void anUnusableProxyUrlIsRefusedNamingItsVariableWithoutItsPassword() {
        IllegalArgumentException noHost = assertThrows(
                IllegalArgumentException.class,
                () -> EgressProxy.of(Map.of("HTTPS_PROXY", "http://pu:s3cret@proxy_corp:3128")));
        assertEquals("HTTPS_PROXY \"http://pu:xxxxx@proxy_corp:3128\" has no host name", noHost.getMessage());

        IllegalArgumentException notAUrl = assertThrows(
                IllegalArgumentException.class,
                () -> EgressProxy.of(Map.of("http_proxy", "http://pu:s3 cret@proxy.corp:3128")));
        assertTrue(
                notAUrl.getMessage().startsWith("http_proxy \"http://pu:xxxxx@proxy.corp:3128\" is not a URL"),
                notAUrl::getMessage);
        for (Throwable e = notAUrl; e != null; e = e.getCause()) {
            assertFalse(String.valueOf(e.getMessage()).contains("cret"), e::getMessage); // Quarkus prints every cause
        }
    }

    @Test
    void noProxyFollowsTheGoCommandsRules() {
        EgressProxy egress = EgressProxy.of(Map.of(
                "HTTPS_PROXY",
                "proxy.corp:3128",
                "NO_PROXY",
                "corp.example.com, .internal, *.svc, 10.0.0.0/8, 192.168.1.7, athens.example:8443"));

        assertTrue(egress.useProxy("goproxy.cn", 443));
        assertFalse(egress.useProxy("corp.example.com", 443), "the domain itself");
        assertFalse(egress.useProxy("git.corp.example.com", 443), "and its subdomains");
        assertTrue(egress.useProxy("notcorp.example.com", 443), "not a suffix that is not a subdomain");
        assertFalse(egress.useProxy("a.internal", 443));
        assertTrue(egress.useProxy("internal", 443), "a leading dot matches subdomains only");
        assertFalse(egress.useProxy("modproxy.ci.svc", 80));
        assertFalse(egress.useProxy("10.1.2.3", 443), "CIDR");
        assertTrue(egress.useProxy("11.1.2.3", 443));
        assertFalse(egress.useProxy("192.168.1.7", 443));
        assertFalse(egress.useProxy("athens.example", 8443), "host with its port");
        assertTrue(egress.useProxy("athens.example", 443), "another port of it");
        assertFalse(egress.useProxy("localhost", 8080), "localhost never goes through the proxy");
        assertFalse(egress.useProxy("127.0.0.1", 8080), "nor loopback");
        assertFalse(egress.useProxy("[::1]", 8080));
        assertFalse(
                EgressProxy.of(Map.of("HTTPS_PROXY", "p:1", "no_proxy", "*")).useProxy("goproxy.cn", 443));
    }

    @Test
    void theSchemeChoosesTheProxyAndUpperCaseWins() {
        EgressProxy egress = EgressProxy.of(Map.of(
                "HTTPS_PROXY",
                "http://secure.corp:3128",
                "https_proxy",
                "http://lower:1",
                "http_proxy",
                "plain.corp:8080"));

        assertEquals("secure.corp:3128", address(egress.select(URI.create("https://goproxy.cn/x"))));
        assertEquals("plain.corp:8080", address(egress.select(URI.create("http://mirror.example/x"))));
        assertEquals(List.of(Proxy.NO_PROXY), egress.select(URI.create("https://localhost:8443/x")));
        assertEquals(List.of(Proxy.NO_PROXY), EgressProxy.of(Map.of()).select(URI.create("https://goproxy.cn/x")));
    }

    private static String address(List<Proxy> proxies) {
        assertEquals(1, proxies.size());
        java.net.InetSocketAddress a =
                (java.net.InetSocketAddress) proxies.get(0).address();
        return a.getHostString() + ":" + a.getPort();
    }

    /**
     * The go command (httpproxy) reads "host:" as the host on any port and "host:name" as a port no URL has; neither is
     * an error. Parsed here as a number at every request, such an entry threw NumberFormatException from select(), so
     * every upstream request whose host no earlier entry matched failed.
     */
    @Test
    void aNoProxyEntryWithAnEmptyOrNonNumericPortIsReadAsTheGoCommandReadsIt() {
        EgressProxy egress = EgressProxy.of(Map.of(
                "HTTPS_PROXY",
                "http://proxy.corp:3128",
                "NO_PROXY",
                "internal.corp:,build.corp:http,[fd00::1]:8443,:443"));

        assertEquals(List.of(Proxy.NO_PROXY), egress.select(URI.create("https://internal.corp/")));
        assertEquals(List.of(Proxy.NO_PROXY), egress.select(URI.create("https://internal.corp:8443/")));
        assertEquals("proxy.corp:3128", address(egress.select(URI.create("https://build.corp/"))), "no URL's port");
        assertEquals(
                Proxy.Type.HTTP,
                egress.select(URI.create("https://proxy.golang.org/")).get(0).type(),
                "\":443\" has no host: ignored");
        assertEquals(List.of(Proxy.NO_PROXY), egress.select(URI.create("https://[fd00::1]:8443/")));
        assertEquals("proxy.corp:3128", address(egress.select(URI.create("https://[fd00::1]/"))));
    }

    /**
     * As golang.org/x/net/http/httpproxy v0.51.0 reads them (checked with a Go program): "[v6]" without a port
     * is no IP entry (SplitHostPort fails, "[2001:db8::1]" is then a domain, and a domain never matches an IP), and a
     * domain entry never matches a request to an IP ("0.1" does not take 10.0.0.1). Both go through the proxy in Go.
     */
    @Test
    void aBracketedV6EntryWithoutAPortAndADomainEntryNeverTakeARequestToAnIp() {
        EgressProxy bracketed =
                EgressProxy.of(Map.of("HTTPS_PROXY", "http://proxy.corp:3128", "NO_PROXY", "[2001:db8::1]"));
        EgressProxy numericDomain = EgressProxy.of(Map.of("HTTPS_PROXY", "http://proxy.corp:3128", "NO_PROXY", "0.1"));
        org.junit.jupiter.api.Assertions.assertAll(
                () -> assertEquals(
                        Proxy.Type.HTTP,
                        bracketed
                                .select(URI.create("https://[2001:db8::1]/"))
                                .get(0)
                                .type(),
                        "NO_PROXY=[2001:db8::1]: Go sends https://[2001:db8::1]/ through the proxy"),
                () -> assertEquals(
                        Proxy.Type.HTTP,
                        numericDomain
                                .select(URI.create("https://10.0.0.1/"))
                                .get(0)
                                .type(),
                        "NO_PROXY=0.1: Go sends https://10.0.0.1/ through the proxy"));
    }
}
