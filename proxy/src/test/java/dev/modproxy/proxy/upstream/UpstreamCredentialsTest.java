package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logins for private upstreams from a netrc file: sent over https to the hosts it names, never over plain http, and
 * never printed.
 */
class UpstreamCredentialsTest {

    private static final UpstreamChain.Settings SETTINGS =
            new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 5, Duration.ofSeconds(30));
    private static final String MOD = "corp.example.com/lib/@v/v1.0.0.mod";
    private static final String SECRET = "s3cret-token-value";

    private static final HttpHandler MODULE = exchange -> {
        byte[] body = "module corp.example.com/lib\n".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    };

    @TempDir
    Path dir;

    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    /** The private CA of the https upstreams, made when a test first needs it. */
    private TestCertificateAuthority ca;

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    @Test
    void aPrivateUpstreamGetsTheLoginTheNetrcNamesForItsHost() throws Exception {
        int port = privateHttpsUpstream();
        UpstreamCredentials netrc = UpstreamCredentials.parse(
                "machine 127.0.0.1 login build password " + SECRET + "\nmachine other.example login x password y\n",
                "netrc");

        UpstreamResult<String> result = httpsChain("https://127.0.0.1:" + port, netrc)
                .fetch(MOD, response -> new String(response.body().readAllBytes(), StandardCharsets.UTF_8), () -> true);

        assertEquals(200, result.status(), result.reason());
        assertEquals("module corp.example.com/lib\n", result.value());
        assertEquals(List.of(basic("build", SECRET)), authorizations, "sent with the first request, unasked");
    }

    @Test
    void withoutALoginThePrivateUpstreamsRefusalIsWhatTheClientSees() throws Exception {
        int port = privateUpstream();

        UpstreamResult<String> result = chain("http://127.0.0.1:" + port, UpstreamCredentials.none())
                .fetch(MOD, response -> "unexpected", () -> true);

        assertEquals(502, result.status());
        assertTrue(result.reason().contains("answered 401"), result.reason());
        assertFalse(result.reason().contains(SECRET));
    }

    @Test
    void aLoginTheUpstreamRefusesIsSentOnceARequestSaysSoAndLeavesTheUpstreamInUse() throws Exception {
        int port = privateHttpsUpstream();
        UpstreamCredentials netrc = UpstreamCredentials.parse("machine 127.0.0.1 login build password wrong", "netrc");
        UpstreamChain chain = httpsChain("https://127.0.0.1:" + port, netrc);

        // the JDK's authenticator sent a refused login 4 times a request (an account lock-out comes sooner), said
        // 'too many authentication attempts. Limit: 3' and counted it as the upstream down, so the circuit opened
        int modules = SETTINGS.breakerThreshold() + 1;
        for (int module = 0; module < modules; module++) {
            String path = "corp.example.com/lib" + module + "/@v/v1.0.0.mod";
            UpstreamResult<String> result = chain.fetch(path, response -> "unexpected", () -> true);

            assertEquals(502, result.status(), result.reason());
            assertEquals(
                    "127.0.0.1:" + port + " answered 401 for " + path
                            + ": user build's login for 127.0.0.1 in MODPROXY_NETRC was refused",
                    result.reason());
        }
        assertEquals(
                java.util.Collections.nCopies(modules, basic("build", "wrong")),
                authorizations,
                "one request each, with the login");
    }

    @Test
    void aRefusalThatEchoesTheNetrcLoginPassesItsReasonOnWithoutThePassword() throws Exception {
        HttpServer server = ca().serve(exchange -> {
            // an upstream that says whom it refused, password and all, as a misconfigured gateway's debug page does
            byte[] body = ("user build with password " + SECRET + " (build:" + SECRET
                            + ") may not read this repository")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(403, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        servers.add(server);
        UpstreamCredentials netrc =
                UpstreamCredentials.parse("machine 127.0.0.1 login build password " + SECRET, "netrc");

        UpstreamResult<String> result = httpsChain(
                        "https://127.0.0.1:" + server.getAddress().getPort(), netrc)
                .fetch(MOD, response -> "unexpected", () -> true);

        assertEquals(403, result.status(), result.reason());
        assertEquals(
                "127.0.0.1:" + server.getAddress().getPort() + " answered 403 for " + MOD
                        + ": user build with password xxxxx (xxxxx) may not read this repository",
                result.reason());
    }

    @Test
    void aRefusalWithoutALoginSaysWhereToGiveOne() throws Exception {
        int port = privateHttpsUpstream();
        UpstreamCredentials netrc = UpstreamCredentials.parse("machine other.example login x password y", "netrc");

        UpstreamResult<String> result =
                httpsChain("https://127.0.0.1:" + port, netrc).fetch(MOD, response -> "unexpected", () -> true);

        assertEquals(502, result.status(), result.reason());
        assertEquals(
                "127.0.0.1:" + port + " answered 401 for " + MOD
                        + ": no login was sent: give one for 127.0.0.1 in MODPROXY_NETRC",
                result.reason());
    }

    @Test
    void aHostTheNetrcDoesNotNameNeverGetsTheLogin() throws Exception {
        int port = privateHttpsUpstream();
        UpstreamCredentials netrc =
                UpstreamCredentials.parse("machine 127.0.0.1 login build password " + SECRET, "netrc");

        // the same server under another name: 'localhost' is not in the file
        UpstreamResult<String> result =
                httpsChain("https://localhost:" + port, netrc).fetch(MOD, response -> "unexpected", () -> true);

        assertEquals(502, result.status(), result.reason());
        assertTrue(result.reason().contains("answered 401"), result.reason());
        assertTrue(authorizations.stream().noneMatch(a -> a != null), authorizations.toString());
    }

    @Test
    void aLoginInTheUpstreamUrlIsSentWithItsFirstRequestWhenANetrcNamesOtherHosts() throws Exception {
        int port = privateUpstream();
        UpstreamCredentials netrc = UpstreamCredentials.parse("machine other.example login x password y", "netrc");
        UpstreamChain chain = chain("http://build:" + SECRET + "@127.0.0.1:" + port, netrc);

        UpstreamResult<String> result = chain.fetch(
                MOD, response -> new String(response.body().readAllBytes(), StandardCharsets.UTF_8), () -> true);

        assertEquals(200, result.status(), result.reason());
        assertEquals(List.of(basic("build", SECRET)), authorizations, "sent with the first request, unasked");
        assertFalse(chain.toString().contains(SECRET), chain.toString());
    }

    @Test
    void theUrlsLoginWinsForItsOwnHostAndTheNetrcAnswersForTheOthers() throws Exception {
        int withUrlLogin = privateHttpsUpstream();
        int withNetrcLogin = privateHttpsUpstream();
        UpstreamCredentials netrc = UpstreamCredentials.parse(
                "machine 127.0.0.1 login build password wrong\nmachine localhost login build password " + SECRET,
                "netrc");
        UpstreamChain chain = httpsChain(
                "https://build:" + SECRET + "@127.0.0.1:" + withUrlLogin + "|https://localhost:" + withNetrcLogin,
                netrc);

        UpstreamResult<String> first = chain.fetch(MOD, response -> "from the first", () -> true);
        servers.get(0).stop(0); // the next fetch falls through to the upstream the netrc has a login for
        UpstreamResult<String> second = chain.fetch(MOD, response -> "from the second", () -> true);

        assertEquals(200, first.status(), first.reason());
        assertEquals("from the first", first.value());
        assertEquals(200, second.status(), second.reason());
        assertEquals("from the second", second.value());
        assertEquals(basic("build", SECRET), authorizations.get(0), "the URL's login, not the netrc's for its host");
        assertEquals(basic("build", SECRET), authorizations.get(authorizations.size() - 1), "the netrc's login");
    }

    /**
     * The go command adds a netrc login only to https requests (cmd/go/internal/web/http.go: {@code if url.Scheme ==
     * "https" { auth.AddCredentials(...) }}), even for a GOINSECURE host; a netrc copied from a developer's machine
     * must not go out in clear text because an upstream, or a host an http upstream redirects to, is plain http.
     * (A login written into the upstream's own URL is the operator's explicit choice and is not covered here.)
     */
    @Test
    void aNetrcLoginIsNeverSentInClearTextOverPlainHttp() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            byte[] body = "module corp.example.com/lib\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        servers.add(server);
        UpstreamCredentials netrc =
                UpstreamCredentials.parse("machine 127.0.0.1 login build password " + SECRET, "netrc");

        UpstreamResult<String> result = chain(
                        "http://127.0.0.1:" + server.getAddress().getPort(), netrc)
                .fetch(MOD, response -> new String(response.body().readAllBytes(), StandardCharsets.UTF_8), () -> true);

        assertEquals(200, result.status(), result.reason());
        assertEquals(List.of("null"), authorizations, "the netrc's password went over plain http");
    }

    /**
     * A 407 from a plain-http upstream reached directly (no HTTP_PROXY set) is the upstream's own answer (or a
     * transparent proxy's); it must not be reported as 'the egress proxy in HTTP_PROXY answered 407', which sends
     * whoever reads it looking for a variable that is not set.
     */
    @Test
    void a407FromAnUpstreamReachedWithoutAnEgressProxyIsNotBlamedOnOne() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "proxy login required".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Proxy-Authenticate", "Basic realm=\"gateway\"");
            exchange.sendResponseHeaders(407, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        servers.add(server);

        UpstreamResult<String> result = chain(
                        "http://127.0.0.1:" + server.getAddress().getPort(), UpstreamCredentials.none())
                .fetch(MOD, response -> "unexpected", () -> true);

        assertEquals(502, result.status(), result.reason());
        assertFalse(result.reason().contains("egress proxy"), "no egress proxy is configured, yet: " + result.reason());
    }

    /**
     * A 401 from a plain-http host the netrc names says why no login went: giving one in the netrc (what the 401
     * advice said) would change nothing.
     */
    @Test
    void aPlainHttpUpstreamsRefusalSaysNetrcLoginsGoOverHttpsOnly() throws Exception {
        int port = privateUpstream();
        UpstreamCredentials netrc =
                UpstreamCredentials.parse("machine 127.0.0.1 login build password " + SECRET, "netrc");

        UpstreamResult<String> named =
                chain("http://127.0.0.1:" + port, netrc).fetch(MOD, response -> "unexpected", () -> true);
        UpstreamResult<String> unnamed = chain("http://127.0.0.1:" + port, UpstreamCredentials.none())
                .fetch(MOD, response -> "unexpected", () -> true);

        assertEquals(502, named.status(), named.reason());
        assertEquals(
                "127.0.0.1:" + port + " answered 401 for " + MOD + ": no login was sent: MODPROXY_NETRC's login for"
                        + " 127.0.0.1 goes over https only, as with the go command, never in clear text over http:"
                        + " reach 127.0.0.1 over https",
                named.reason());
        assertEquals(
                "127.0.0.1:" + port + " answered 401 for " + MOD + ": no login was sent: MODPROXY_NETRC logins go"
                        + " over https only, as with the go command, never in clear text over http: reach 127.0.0.1"
                        + " over https",
                unnamed.reason());
        assertEquals(java.util.Arrays.asList(null, null), authorizations, "no login over plain http");
    }

    /**
     * With HTTP_PROXY set, a host it does not carry (loopback, as NO_PROXY hosts) is reached directly: its 407 is its
     * own answer, passed on as a 401 is, and leaves its circuit closed, as a 401 does; it was 'the egress proxy in
     * HTTP_PROXY answered 407' and opened the circuit after 5 modules.
     */
    @Test
    void a407FromAHostTheEgressProxyDoesNotCarryIsTheHostsOwnAnswerAndLeavesItsCircuitClosed() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            asked.add(exchange.getRequestURI().getPath());
            exchange.getResponseHeaders().set("Proxy-Authenticate", "Basic realm=\"gateway\"");
            exchange.sendResponseHeaders(407, -1);
            exchange.close();
        });
        server.start();
        servers.add(server);
        int port = server.getAddress().getPort();
        EgressProxy egress = EgressProxy.of(Map.of("HTTP_PROXY", "http://egress.corp.example:3128"));
        UpstreamChain chain = UpstreamChain.parse(
                "http://127.0.0.1:" + port, SETTINGS, UpstreamListener.NONE, egress, UpstreamCredentials.none());

        int modules = SETTINGS.breakerThreshold() + 1;
        for (int module = 0; module < modules; module++) {
            String path = "corp.example.com/lib" + module + "/@v/v1.0.0.mod";
            UpstreamResult<String> result = chain.fetch(path, response -> "unexpected", () -> true);

            assertEquals(502, result.status(), result.reason());
            assertEquals(
                    "127.0.0.1:" + port + " answered 407 for " + path + ": a proxy login was asked for, but the cache"
                            + " reaches 127.0.0.1 directly, through no HTTP_PROXY (unset, or NO_PROXY or loopback"
                            + " exempts it), and sends no proxy login: a transparent proxy on the way, or the upstream"
                            + " itself, refused the request",
                    result.reason());
        }
        assertEquals(modules, asked.size(), "every module asked: the circuit stayed closed");
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theCredentialsNeverPrintTheirPasswords() {
        UpstreamCredentials netrc = UpstreamCredentials.parse(
                "machine artifactory.corp.example.com\n  login build\n  password " + SECRET + "\n"
                        + "macdef init\ndefault login anonymous password guest\n",
                "/etc/modproxy/netrc");

        assertEquals(java.util.Set.of("artifactory.corp.example.com"), netrc.hosts(), "default logins go to no host");
        assertFalse(netrc.toString().contains(SECRET), netrc.toString());
        assertTrue(netrc.toString().contains("build:<redacted>"), netrc.toString());
    }

    private UpstreamChain chain(String url, UpstreamCredentials credentials) {
        return UpstreamChain.parse(url, SETTINGS, UpstreamListener.NONE, EgressProxy.of(Map.of()), credentials);
    }

    /** A chain that trusts ca()'s certificates, as MODPROXY_UPSTREAM_CA_FILE makes it. */
    private UpstreamChain httpsChain(String url, UpstreamCredentials credentials) throws Exception {
        EgressProxy trusting = EgressProxy.of(Map.of()).trusting(UpstreamTrust.fromPemFile(ca().pem()));
        return UpstreamChain.parse(url, SETTINGS, UpstreamListener.NONE, trusting, credentials);
    }

    private TestCertificateAuthority ca() throws Exception {
        if (ca == null) {
            ca = TestCertificateAuthority.create(dir, "Corp Test CA");
        }
        return ca;
    }

    /** An Artifactory-like private GOPROXY: Basic auth, build/SECRET. */
    private int privateUpstream() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", MODULE).setAuthenticator(basicAuth());
        server.start();
        servers.add(server);
        return server.getAddress().getPort();
    }

    /** {@link #privateUpstream()} over https, its certificate (for 127.0.0.1 and localhost) signed by ca(). */
    private int privateHttpsUpstream() throws Exception {
        HttpServer server = ca().serve(MODULE, "ip:127.0.0.1,dns:localhost");
        servers.add(server);
        server.removeContext("/");
        server.createContext("/", MODULE).setAuthenticator(basicAuth());
        return server.getAddress().getPort();
    }

    private BasicAuthenticator basicAuth() {
        return new BasicAuthenticator("private goproxy") {
            @Override
            public Result authenticate(HttpExchange exchange) {
                // every request's, the ones refused with 401 too
                authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
                return super.authenticate(exchange);
            }

            @Override
            public boolean checkCredentials(String user, String password) {
                return user.equals("build") && password.equals(SECRET);
            }
        };
    }
}
