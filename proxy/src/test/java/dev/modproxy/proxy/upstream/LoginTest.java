package dev.modproxy.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One reading of a URL's login for both settings that carry one, MODPROXY_UPSTREAM's (sent to the upstream as
 * {@code Authorization}) and HTTPS_PROXY's or HTTP_PROXY's (sent to that egress proxy as
 * {@code Proxy-Authorization}): Go's (net/url's parseAuthority, net/http's basic auth). The userinfo is split at its
 * first raw ':', user and password are percent-decoded apart, and {@code Basic base64(user:password)} is sent, a
 * missing password empty. What the login is sent or written as is masked in every reason an upstream gives.
 */
class LoginTest {

    private static final UpstreamChain.Settings SETTINGS =
            new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 5, Duration.ofSeconds(30));
    private static final String MOD = "corp.example.com/lib/@v/v1.0.0.mod";

    private final List<HttpServer> servers = new ArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(server -> server.stop(0));
    }

    private static String basic(String user, String password) {
        return "Basic " + token(user, password);
    }

    private static String token(String user, String password) {
        return Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * An upstream on loopback that records the Authorization it was sent and refuses with a 500 whose text echoes the
     * login in each form it travels in: the password alone, the userinfo as written, the base64 token.
     */
    private int echoingUpstream(String userInfo, String user, String password) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            byte[] echo = ("no luck for [" + user + "] with [" + (password == null ? "" : password) + "] written ["
                            + userInfo + "] sent as [" + token(user, password == null ? "" : password) + "]\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(500, echo.length);
            exchange.getResponseBody().write(echo);
            exchange.close();
        });
        server.start();
        servers.add(server);
        return server.getAddress().getPort();
    }

    private static UpstreamResult<String> fetch(String goproxy, EgressProxy egress) {
        return UpstreamChain.parse(goproxy, SETTINGS, UpstreamListener.NONE, egress, UpstreamCredentials.none())
                .fetch(MOD, response -> "unexpected", () -> true);
    }

    /** Nothing the login is sent or written as is in the reason; the echo itself is. */
    private static void assertMasked(String reason, String userInfo, String user, String password) {
        assertTrue(reason.contains("no luck for"), reason);
        assertFalse(reason.contains(token(user, password == null ? "" : password)), reason);
        if (password == null) {
            // a login of one part may be a token: the whole of it is the secret
            assertFalse(reason.contains(user), reason);
        } else if (!password.isEmpty()) {
            assertFalse(reason.contains(password), reason);
            assertFalse(reason.contains(userInfo.substring(userInfo.indexOf(':') + 1)), reason);
        }
    }

    /**
     * userinfo as written in the URL, then the user and password Go's url.Parse reads from it (NONE: no password, no
     * ':' at all).
     */
    private static final String CASES = """
            dev%3Aops:s3cret-pw        | dev:ops          | s3cret-pw
            build%40corp:p%40ss-w0rd   | build@corp       | p@ss-w0rd
            ci:                        | ci               | ``
            ci:pa:ss-w0rd              | ci               | pa:ss-w0rd
            ci:pa%3Ass-w0rd            | ci               | pa:ss-w0rd
            d%C3%A9v:a+b%2Fc%25d       | dév              | a+b/c%d
            t0ken-only-value           | t0ken-only-value | NONE
            """;

    /**
     * It was the userinfo decoded whole and split at its first ':' then: a user with "%3A" made the rest of the user
     * the "password", and the password alone was not masked in an upstream's echo; a user without a password was sent
     * as {@code Basic base64(user)}, with no ':' (a header servers refuse as malformed), where Go sends "user:".
     */
    @ParameterizedTest(name = "MODPROXY_UPSTREAM=http://{0}@...")
    @CsvSource(delimiter = '|', quoteCharacter = '`', nullValues = "NONE", textBlock = CASES)
    void theUpstreamUrlsLoginIsReadAsGoReadsIt(String userInfo, String user, String password) throws Exception {
        int port = echoingUpstream(userInfo, user, password);

        UpstreamResult<String> result = fetch("http://" + userInfo + "@127.0.0.1:" + port, EgressProxy.of(Map.of()));

        assertEquals(502, result.status(), result.reason());
        assertEquals(List.of(basic(user, password == null ? "" : password)), authorizations);
        assertMasked(result.reason(), userInfo, user, password);
    }

    @ParameterizedTest(name = "HTTPS_PROXY=http://{0}@...")
    @CsvSource(delimiter = '|', quoteCharacter = '`', nullValues = "NONE", textBlock = CASES)
    void aProxyVariablesLoginIsReadTheSameWay(String userInfo, String user, String password) throws Exception {
        String proxy = "http://" + userInfo + "@proxy.corp:3128";
        EgressProxy egress = EgressProxy.of(Map.of("HTTPS_PROXY", proxy, "http_proxy", proxy));

        for (String upstream : List.of("https://mirror.test/x", "http://mirror.test/x")) {
            assertEquals(
                    Optional.of(basic(user, password == null ? "" : password)),
                    egress.authorizationFor(URI.create(upstream)));
            // a refusal names the user of a login with a password, never a lone token
            assertEquals(Optional.of(password == null ? "" : "user " + user), egress.userFor(URI.create(upstream)));
        }
        // an upstream reached directly (loopback never goes through the egress proxy) echoing the proxy's login
        int port = echoingUpstream(userInfo, user, password);
        UpstreamResult<String> result = fetch("http://127.0.0.1:" + port, egress);
        assertEquals(502, result.status(), result.reason());
        assertEquals(List.of("null"), authorizations, "no login of the egress proxy's to the upstream");
        assertMasked(result.reason(), userInfo, user, password);
    }

    /** Both settings read a login alike: the upstream is sent the header the egress proxy is sent. */
    @Test
    void bothSettingsSendTheSameHeaderForTheSameLogin() throws Exception {
        String userInfo = "dev%3Aops:p%40ss:w0rd";
        int port = echoingUpstream(userInfo, "dev:ops", "p@ss:w0rd");
        EgressProxy egress = EgressProxy.of(Map.of("HTTPS_PROXY", "http://" + userInfo + "@proxy.corp:3128"));

        fetch("http://" + userInfo + "@127.0.0.1:" + port, EgressProxy.of(Map.of()));

        assertEquals(
                List.of(egress.authorizationFor(URI.create("https://mirror.test/"))
                        .orElseThrow()),
                authorizations);
    }

    /**
     * A '%' not followed by two hexadecimal digits: Go's url.Parse refuses it, and so does start-up, naming the
     * setting and showing its value without the password (java.net.URI refuses it first for both settings; the
     * login's own reading refuses it too, never repeating it).
     */
    @ParameterizedTest
    @ValueSource(strings = {"ci:100%sure", "ci:s3cret%", "ci:s3cret%4", "c%zzi:s3cret", "ci:s3cret%\u0661\u0661"})
    void anInvalidPercentEscapeIsRefusedNamingTheSettingNeverTheLogin(String userInfo) {
        IllegalArgumentException login =
                assertThrows(IllegalArgumentException.class, () -> Login.fromUserInfo(userInfo));
        assertEquals(
                "its login has a '%' that is not followed by two hexadecimal digits (a '%' in a user or password is"
                        + " written %25)",
                login.getMessage());

        IllegalArgumentException upstream = assertThrows(
                IllegalArgumentException.class,
                () -> fetch("https://" + userInfo + "@mirror.corp", EgressProxy.of(Map.of())));
        assertTrue(upstream.getMessage().startsWith("entry 1 \"https://"), upstream.getMessage());
        assertTrue(upstream.getMessage().contains("@mirror.corp\" is not a valid URL"), upstream.getMessage());

        for (String variable : List.of("HTTPS_PROXY", "HTTP_PROXY")) {
            IllegalArgumentException proxy = assertThrows(
                    IllegalArgumentException.class,
                    () -> EgressProxy.of(Map.of(variable, "http://" + userInfo + "@proxy.corp:3128")));
            assertTrue(proxy.getMessage().startsWith(variable + " \"http://"), proxy.getMessage());
            assertTrue(proxy.getMessage().contains("@proxy.corp:3128\" is not a URL"), proxy.getMessage());
            for (IllegalArgumentException refusal : List.of(login, upstream, proxy)) {
                assertFalse(refusal.getMessage().contains("s3cret"), refusal.getMessage());
                assertFalse(refusal.getMessage().contains("sure"), refusal.getMessage());
            }
        }
    }

    @Test
    void aLoginPrintsNeitherItsPasswordNorItsHeader() {
        Login withPassword = Login.fromUserInfo("ci:s3cret");
        assertEquals("Login[user=ci, password=xxxxx]", withPassword.toString());
        assertEquals("Login[xxxxx]", Login.fromUserInfo("t0ken-value").toString());
        assertEquals(
                List.of(token("ci", "s3cret"), "ci:s3cret", "s3cret"),
                withPassword.secrets(),
                "longest first, each once");
    }

    /** A netrc's login is taken as written, as the go command takes it: no percent-decoding there. */
    @Test
    void aNetrcLoginIsSentAsWritten() {
        Login netrc = Login.of("build", "p%40ss");

        assertEquals(basic("build", "p%40ss"), netrc.authorization());
        assertTrue(netrc.secrets().contains("p%40ss"), netrc.secrets().toString());
        assertEquals("Login[user=build, password=xxxxx]", netrc.toString());
    }
}
