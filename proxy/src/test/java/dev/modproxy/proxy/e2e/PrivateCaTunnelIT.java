package dev.modproxy.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import dev.modproxy.proxy.sumdb.GoSumDbServer;
import dev.modproxy.proxy.testing.TunnellingEgressProxy;
import dev.modproxy.proxy.upstream.TestCertificateAuthority;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged proxy behind a corporate network's way out, end to end: its upstream, an internal GOPROXY
 * (goproxy.corp.test) whose TLS certificate a private CA signed, and the checksum database (sum.corp.test), signed by
 * the same CA, are reachable only through a CONNECT-tunnelling egress proxy (HTTPS_PROXY), the one place their names
 * resolve; a plain-http mirror (plain.corp.test) only through the same proxy as HTTP_PROXY. The proxy is configured
 * by its documented variables alone (MODPROXY_UPSTREAM_CA_FILE, MODPROXY_NETRC, HTTPS_PROXY, NO_PROXY), and the real
 * go command, with a fresh module cache and checksum verification against that database, is its client.
 */
class PrivateCaTunnelIT {

    private static final String MIRROR = "goproxy.corp.test";
    private static final String DATABASE = "sum.corp.test";
    private static final String PLAIN = "plain.corp.test";
    private static final String NETRC_PASSWORD = "s3cret-for-the-mirror";
    private static final String PLAIN_PASSWORD = "s3cret-for-the-plain-mirror";
    /** The egress proxy's password: every character a URL's userinfo needs percent-encoded. */
    private static final String PROXY_PASSWORD = "pr0xy@pw:/%#?";

    private static final String ENCODED_PROXY_PASSWORD = "pr0xy%40pw%3A%2F%25%23%3F";
    private static final String MIRROR_LOGIN =
            "Basic " + Base64.getEncoder().encodeToString(("ci:" + NETRC_PASSWORD).getBytes(StandardCharsets.UTF_8));
    /** NO_PROXY as a cluster sets it: it covers none of the corp.test hosts. */
    private static final String NO_PROXY = "localhost,127.0.0.1,.svc,.cluster.local,corp.example.com";

    @TempDir
    static Path fixtureDir;

    static ModuleFixtures fixtures;
    static TestCertificateAuthority corp;
    static GoSumDbServer sumdb;
    static HttpsServer mirror;
    static HttpsServer databaseFront;
    static HttpServer plain;
    /** Every request the mirrors and the database got, with its Authorization header ("" without one). */
    static final List<Request> mirrorRequests = new CopyOnWriteArrayList<>();

    static final List<Request> plainRequests = new CopyOnWriteArrayList<>();
    static final List<String> databaseRequests = new CopyOnWriteArrayList<>();

    @TempDir
    Path work;

    TunnellingEgressProxy egress;
    ProxyProcess proxy;

    record Request(String path, String authorization) {}

    @BeforeAll
    static void startTheCorporateNetwork() throws Exception {
        GoCommand.requireInstalled();
        ProxyProcess.jar();
        fixtures = ModuleFixtures.generate(fixtureDir.resolve("modules"), 0);
        corp = TestCertificateAuthority.create(Files.createDirectories(fixtureDir.resolve("ca")), "Corp Test CA");
        // example.com/inc is on the plain-http mirror alone: the https one answers 404, and the chain goes on
        mirror = corp.serve(
                exchange -> serveTree(exchange, mirrorRequests, path -> !path.startsWith("/example.com/inc/")),
                "dns:" + MIRROR);
        plain = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        plain.createContext("/", exchange -> serveTree(exchange, plainRequests, path -> true));
        plain.start();
        sumdb = GoSumDbServer.start(GoSumDbServer.Options.named(DATABASE).withProxyDir(fixtures.proxyTree()));
        databaseFront = corp.serve(PrivateCaTunnelIT::forwardToTheDatabase, "dns:" + DATABASE);
    }

    @AfterAll
    static void stopTheCorporateNetwork() throws Exception {
        for (HttpServer server : new HttpServer[] {mirror, plain, databaseFront}) {
            if (server != null) {
                server.stop(0);
            }
        }
        if (sumdb != null) {
            sumdb.close();
        }
    }

    @BeforeEach
    void forgetEarlierRequests() {
        mirrorRequests.clear();
        plainRequests.clear();
        databaseRequests.clear();
    }

    @AfterEach
    void stopTheProxies() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (egress != null) {
            egress.close();
        }
    }

    @Test
    void goModDownloadGetsTheMirrorsBytesThroughTheTunnelVerifiedByTheDatabaseBehindTheSameCa() throws Exception {
        egress = TunnellingEgressProxy.start(routes());
        proxy = startProxy(true, egress.url(), Map.of("MODPROXY_SUMDB", sumdb.verifierKey() + " https://" + DATABASE));
        GoCommand go = GoCommand.verifying(
                Files.createDirectories(work.resolve("client")),
                proxy.url(),
                work.resolve("gocache"),
                Map.of("GOSUMDB", sumdb.verifierKey()));
        List<GeneratedModule> modules = List.of(
                fixtures.version("example.com/leaf", "v1.1.0"),
                fixtures.version("example.com/lib/v2", "v2.1.0"),
                fixtures.version("example.com/Upper/Mod", "v1.0.0"),
                fixtures.version("example.com/inc", "v2.0.0+incompatible"));

        for (GeneratedModule m : modules) {
            GoCommand.Result result = go.run(go.home().resolve("outside"), "mod", "download", "-json", m.query());
            assertEquals(0, result.exitCode(), m.query() + ": " + result.describe() + "\n" + proxy.logTail());
            JsonObject download = new JsonObject(result.stdout());
            assertNull(download.getString("Error"), result.stdout());
            assertEquals(ModuleZip.zipHash(m), download.getString("Sum"), m.query());
            assertEquals(ModuleZip.goModHash(m), download.getString("GoModSum"), m.query());
            assertArrayEquals(
                    fixtures.upstreamBytes(m.protocolBase() + ".zip"),
                    Files.readAllBytes(Path.of(download.getString("Zip"))),
                    "the zip " + m.query() + " in the go command's module cache is the mirror's, byte for byte");
        }

        // the go command's lookups were answered by the database, reached through the tunnel and trusted by the CA
        assertTrue(
                databaseRequests.stream().anyMatch(path -> path.startsWith("/lookup/example.com/leaf@v1.1.0")),
                databaseRequests.toString());
        List<String> targets = egress.connectTargets();
        assertTrue(targets.contains(MIRROR + ":443"), targets.toString());
        assertTrue(targets.contains(DATABASE + ":443"), targets.toString());
        assertEquals(
                List.of(),
                targets.stream()
                        .filter(target -> !target.equals(MIRROR + ":443") && !target.equals(DATABASE + ":443"))
                        .toList(),
                "no tunnel to anywhere else");
        // the https mirror got the netrc login with every request, inside the tunnel: the egress proxy never saw it
        assertFalse(mirrorRequests.isEmpty());
        for (Request request : mirrorRequests) {
            assertEquals(MIRROR_LOGIN, request.authorization(), request.path());
        }
        assertTrue(
                mirrorRequests.stream().anyMatch(request -> request.path().equals("/example.com/leaf/@v/v1.1.0.zip")),
                mirrorRequests.toString());
        // the plain-http mirror, which the netrc names too, never got a login: over http it would cross in clear
        assertTrue(
                plainRequests.stream()
                        .anyMatch(request -> request.path().equals("/example.com/inc/@v/v2.0.0+incompatible.zip")),
                plainRequests.toString());
        for (Request request : plainRequests) {
            assertEquals("", request.authorization(), request.path());
        }
        assertTrue(
                egress.requestLines()
                        .contains("GET http://" + PLAIN + "/example.com/inc/@v/v2.0.0+incompatible.zip HTTP/1.1"),
                egress.requestLines().toString());
        for (String secret :
                List.of(NETRC_PASSWORD, PLAIN_PASSWORD, MIRROR_LOGIN.substring("Basic ".length()), "Authorization:")) {
            assertFalse(egress.sawInClear(secret), secret + " crossed the egress proxy in clear text");
        }
        // the start-up log names the CA it added, and nothing went wrong but what this test asked for
        assertTrue(
                String.join("\n", Files.readAllLines(work.resolve("proxy.log")))
                        .contains("from MODPROXY_UPSTREAM_CA_FILE"),
                proxy.logTail());
        assertEquals(List.of(), proxy.warningsAndErrors(), "WARN and ERROR lines");
    }

    @Test
    void withoutTheCaFileTheTunnelledMirrorIsRefusedForItsCertificateInWordsThatSayWhatToDo() throws Exception {
        egress = TunnellingEgressProxy.start(routes());
        proxy = startProxy(false, egress.url(), Map.of("MODPROXY_SUMDB", "off"));

        GoCommand.Result result = download("example.com/leaf@v1.1.0");

        assertNotEquals(0, result.exitCode(), result.describe());
        String refused = MIRROR + " sent a TLS certificate that no certificate authority this proxy trusts has signed"
                + " (a private CA, or a TLS-inspecting egress proxy: give the proxy that CA's certificate,"
                + " MODPROXY_UPSTREAM_CA_FILE or the GoProxyCache's spec.upstreamCA";
        assertTrue(result.stderr().contains(refused), result.describe());
        assertTrue(result.stderr().contains("502 Bad Gateway"), result.describe());
        assertFalse(result.stderr().contains("PKIX"), result.describe());
        // the tunnel was made: the handshake inside it failed, and the mirror never got a request
        assertEquals(
                List.of(MIRROR + ":443"),
                egress.connectTargets().stream().distinct().toList());
        assertEquals(List.of(), mirrorRequests);
        String log = String.join("\n", Files.readAllLines(work.resolve("proxy.log")));
        assertTrue(log.contains(refused), proxy.logTail());
        assertFalse(log.contains("PKIX"), proxy.logTail());
    }

    @Test
    void goModDownloadGoesThroughAnEgressProxyThatWantsTheLoginGivenInHttpsProxy() throws Exception {
        egress = TunnellingEgressProxy.requiringLogin(routes(), "ci", PROXY_PASSWORD);
        // the login percent-encoded in the URL, as the go command reads it, and for both variables
        String withLogin = "http://ci:" + ENCODED_PROXY_PASSWORD + "@" + egress.address();
        proxy = startProxy(true, withLogin, Map.of("MODPROXY_SUMDB", sumdb.verifierKey() + " https://" + DATABASE));
        GoCommand go = GoCommand.verifying(
                Files.createDirectories(work.resolve("client")),
                proxy.url(),
                work.resolve("gocache"),
                Map.of("GOSUMDB", sumdb.verifierKey()));

        // leaf from the https mirror (CONNECT), inc from the plain-http one (a GET through HTTP_PROXY), both proven by
        // the database behind the same proxy
        for (String query : List.of("example.com/leaf@v1.1.0", "example.com/inc@v2.0.0+incompatible")) {
            GoCommand.Result result = go.run(go.home().resolve("outside"), "mod", "download", query);
            // it was '... answered 407 Proxy Authentication Required: it wants a login, and this proxy sends none'
            assertEquals(0, result.exitCode(), query + ": " + result.describe() + "\n" + proxy.logTail());
        }

        String login = "Proxy-Authorization: Basic "
                + Base64.getEncoder().encodeToString(("ci:" + PROXY_PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertTrue(
                egress.connectTargets().contains(MIRROR + ":443"),
                egress.requestLines().toString());
        assertTrue(
                egress.connectTargets().contains(DATABASE + ":443"),
                egress.requestLines().toString());
        assertTrue(
                egress.requestLines().stream().anyMatch(line -> line.startsWith("GET http://" + PLAIN + "/")),
                egress.requestLines().toString());
        for (String head : egress.heads()) {
            assertTrue(head.contains(login), "every request to the egress proxy carries its login: " + head);
        }
        // the mirror still gets the netrc login (no authenticator drops it), and never the egress proxy's
        assertFalse(mirrorRequests.isEmpty());
        for (Request request : mirrorRequests) {
            assertEquals(MIRROR_LOGIN, request.authorization(), request.path());
        }
        String log = String.join("\n", Files.readAllLines(work.resolve("proxy.log")));
        for (String secret :
                List.of(PROXY_PASSWORD, ENCODED_PROXY_PASSWORD, login.substring(login.indexOf("Basic ")))) {
            assertFalse(log.contains(secret), proxy.logTail());
        }
        assertEquals(List.of(), proxy.warningsAndErrors(), "WARN and ERROR lines");
    }

    @Test
    void aLoginTheEgressProxyRefusesIsNamedAsRefusedSentOnceARequestAndNeverShown() throws Exception {
        egress = TunnellingEgressProxy.requiringLogin(routes(), "ci", PROXY_PASSWORD);
        String wrong = "http://ci:wrong-proxy-pw@" + egress.address();
        // no prefetch: the go command's one request is the cache's only one to the mirror
        proxy = startProxy(true, wrong, Map.of("MODPROXY_SUMDB", "off", "MODPROXY_PREFETCH", "false"));

        GoCommand.Result result = download("example.com/leaf@v1.1.0");

        assertNotEquals(0, result.exitCode(), result.describe());
        // it was '... it wants a login, and this proxy sends none to an egress proxy; let the cache through without
        // one ...', though the login was given
        String refused = MIRROR + " failed: the egress proxy " + egress.address() + " (HTTPS_PROXY) answered 407"
                + " Proxy Authentication Required: it refused the login of user ci given in HTTPS_PROXY (check its"
                + " user and password; characters such as @ : / % # ? in them percent-encoded, as in any URL)";
        assertTrue(result.stderr().contains(refused), result.describe());
        // one request of the go command (.info), one CONNECT with the login, one 407: the refused login is not sent
        // again (the JDK's authenticator sent a refused netrc login four times a request)
        assertEquals(
                List.of("CONNECT " + MIRROR + ":443 HTTP/1.1"),
                egress.requestLines(),
                result.describe() + "\n" + proxy.logTail());
        String token = Base64.getEncoder().encodeToString("ci:wrong-proxy-pw".getBytes(StandardCharsets.UTF_8));
        assertTrue(
                egress.heads().get(0).contains("Proxy-Authorization: Basic " + token),
                egress.heads().toString());
        assertEquals(List.of(), mirrorRequests);
        String log = String.join("\n", Files.readAllLines(work.resolve("proxy.log")));
        for (String secret : List.of("wrong-proxy-pw", token)) {
            assertFalse(log.contains(secret), proxy.logTail());
            assertFalse(result.stderr().contains(secret), result.describe());
        }
    }

    @Test
    void anEgressProxyThatIsDownIsNamedAsTheCauseNotTheMirror() throws Exception {
        egress = TunnellingEgressProxy.start(routes());
        String address = egress.address();
        egress.close(); // nothing listens there any more: a proxy that is down, or a wrong port in HTTPS_PROXY
        proxy = startProxy(true, "http://" + address, Map.of("MODPROXY_SUMDB", "off"));

        GoCommand.Result result = download("example.com/leaf@v1.1.0");

        assertNotEquals(0, result.exitCode(), result.describe());
        assertTrue(
                result.stderr()
                        .contains(MIRROR + " failed: the egress proxy " + address + " (HTTPS_PROXY) refused the"
                                + " connection: " + MIRROR + " was not asked (is the egress proxy running, and"
                                + " HTTPS_PROXY its address?)"),
                result.describe());
        assertEquals(List.of(), mirrorRequests);
    }

    @Test
    void aSocksProxyInHttpsProxyStopsTheProxyAtStartNamingTheVariable() throws Exception {
        Path log = work.resolve("refused.log");

        int status = ProxyProcess.exitStatusOfRefusedStart(
                work.resolve("storage"), log, Map.of("HTTPS_PROXY", "socks5://ci:proxy-pw@127.0.0.1:1080"));

        assertNotEquals(0, status);
        String output = Files.readString(log);
        assertTrue(
                output.contains("HTTPS_PROXY \"socks5://ci:xxxxx@127.0.0.1:1080\" is a SOCKS proxy, which this proxy"
                        + " cannot use (the go command can): give an HTTP proxy, http://host:port"),
                output);
        assertFalse(output.contains("proxy-pw"), output);
    }

    /** go mod download without -json: a failure is on its standard error, as a user sees it. */
    private GoCommand.Result download(String query) throws IOException, InterruptedException {
        GoCommand go = new GoCommand(Files.createDirectories(work.resolve("client")), proxy.url());
        return go.run(go.home().resolve("outside"), "mod", "download", query);
    }

    /** Where the egress proxy finds each corp.test host: the only place their names resolve. */
    private static Map<String, InetSocketAddress> routes() {
        return Map.of(
                MIRROR + ":443", mirror.getAddress(),
                DATABASE + ":443", databaseFront.getAddress(),
                PLAIN + ":80", plain.getAddress());
    }

    /**
     * The packaged proxy with the mirrors as its upstream chain, the CA file or not, HTTPS_PROXY and HTTP_PROXY set to
     * egress, a netrc for both mirrors, and a hosts file that resolves localhost alone: no corp.test name resolves in
     * the proxy, and no DNS query leaves the machine.
     */
    private ProxyProcess startProxy(boolean caFile, String egressUrl, Map<String, String> more) throws IOException {
        Path hosts = Files.writeString(work.resolve("hosts"), "127.0.0.1 localhost\n::1 localhost\n");
        Path netrc = Files.writeString(
                work.resolve("netrc"),
                "machine " + MIRROR + " login ci password " + NETRC_PASSWORD + "\nmachine " + PLAIN + " login ci"
                        + " password " + PLAIN_PASSWORD + "\n");
        Map<String, String> settings = new HashMap<>(more);
        settings.put("MODPROXY_NETRC", netrc.toString());
        settings.put("HTTPS_PROXY", egressUrl);
        settings.put("HTTP_PROXY", egressUrl);
        settings.put("NO_PROXY", NO_PROXY);
        // the build's own shell may export lower-case ones: these are the only ones
        settings.put("https_proxy", egressUrl);
        settings.put("http_proxy", egressUrl);
        settings.put("no_proxy", NO_PROXY);
        if (caFile) {
            settings.put("MODPROXY_UPSTREAM_CA_FILE", corp.pem().toString());
        }
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m", "-Djdk.net.hosts.file=" + hosts));
        return ProxyProcess.start(
                "https://" + MIRROR + ",http://" + PLAIN,
                work.resolve("storage"),
                work.resolve("proxy.log"),
                jvm,
                settings);
    }

    private interface Served {
        boolean has(String path);
    }

    /** Answers GETs from the fixtures' GOPROXY tree, recording each request's path and Authorization header. */
    private static void serveTree(HttpExchange exchange, List<Request> requests, Served served) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            requests.add(new Request(path, authorization == null ? "" : authorization));
            Path file = fixtures.proxyTree().resolve(path.substring(1)).normalize();
            if (!served.has(path) || !file.startsWith(fixtures.proxyTree()) || !Files.isRegularFile(file)) {
                byte[] body = ("not found: " + path + "\n").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                exchange.sendResponseHeaders(404, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            byte[] body = Files.readAllBytes(file);
            exchange.getResponseHeaders()
                    .set(
                            "Content-Type",
                            path.endsWith(".zip")
                                    ? "application/zip"
                                    : path.endsWith(".info") ? "application/json" : "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private static final HttpClient DIRECT =
            HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

    /** The https front of the database (its server speaks plain http on loopback), as a load balancer would be. */
    private static void forwardToTheDatabase(HttpExchange exchange) throws IOException {
        try (exchange) {
            String pathAndQuery = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null
                            ? ""
                            : "?" + exchange.getRequestURI().getRawQuery());
            databaseRequests.add(exchange.getRequestURI().getPath());
            HttpResponse<byte[]> answer;
            try {
                answer = DIRECT.send(
                        HttpRequest.newBuilder(URI.create(sumdb.url().toString().replaceAll("/$", "") + pathAndQuery))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            answer.headers()
                    .firstValue("Content-Type")
                    .ifPresent(type -> exchange.getResponseHeaders().set("Content-Type", type));
            byte[] body = answer.body();
            exchange.sendResponseHeaders(answer.statusCode(), body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
        }
    }
}
