package dev.modproxy.proxy.upstream;

import dev.modproxy.contract.Redacted;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The corporate egress proxy as the go command reads it (golang.org/x/net/http/httpproxy): HTTPS_PROXY for https
 * upstreams (the JDK tunnels with CONNECT), HTTP_PROXY for http ones, upper case before lower case, and NO_PROXY
 * entries ("*", IPs, CIDRs, "example.com" with its subdomains, ".example.com" for subdomains only, each optionally
 * with ":port"). localhost and loopback addresses are never sent through the proxy.
 *
 * <p>It also carries the certificate authorities the way out trusts ({@link UpstreamTrust}: the JVM's, and those of
 * MODPROXY_UPSTREAM_CA_FILE), as every HTTP client that reaches an upstream or the checksum database is built with it:
 * the chain's and the checksum database's clients take its SSL context ({@link UpstreamTrust#sslContext}).
 *
 * <p>The proxy URL is {@code http://host:port} (or {@code host:port}): an {@code https://} one (TLS to the proxy, which
 * the go command speaks) and a {@code socks5://} one are refused at start, naming the variable, since the JDK's HTTP
 * client speaks neither.
 *
 * <p>A login in a variable's URL ({@code http://user:password@proxy:3128}, read as Go's url.Parse reads it:
 * {@link Login#fromUserInfo}) is that egress proxy's: as net/http does, it is sent to it alone, as
 * {@code Proxy-Authorization: Basic}, on every CONNECT and every plain-http request through it
 * ({@link #authorizationFor}), never to an upstream, another proxy or a host reached directly.
 */
public final class EgressProxy extends ProxySelector {

    /**
     * The JDK property listing the schemes its HTTP client never sends to a proxy on CONNECT: "Basic" by default
     * (net.properties), so a {@code Proxy-Authorization: Basic} header would be dropped from the tunnel's request.
     */
    static final String TUNNELING_DISABLED_SCHEMES = "jdk.http.auth.tunneling.disabledSchemes";

    /**
     * One NO_PROXY entry, read once as httpproxy reads it: "*", a CIDR, or a host (an IP, or a domain) with an
     * optional port. port null: any port ("host" or "host:"); otherwise compared as text with the URL's port, so a
     * port that is not a number ("host:http") matches no URL, as in Go. Host and port are split as net.SplitHostPort
     * splits them, so "[2001:db8::1]" without a port is a domain, as in Go; a domain never matches a request to an IP.
     */
    private record NoProxyEntry(boolean all, String cidr, Optional<InetAddress> ip, String host, String port) {

        static Optional<NoProxyEntry> parse(String entry) {
            if (entry.equals("*")) {
                return Optional.of(new NoProxyEntry(true, null, Optional.empty(), null, null));
            }
            if (entry.contains("/")) {
                return Optional.of(new NoProxyEntry(false, entry, Optional.empty(), null, null));
            }
            // net.SplitHostPort: "host:port" or "[v6]:port"; anything else ("host", "[v6]" without a port, a v6
            // address without brackets) is the whole entry as the host, so "[2001:db8::1]" is a domain, no IP
            String host = entry;
            String port = null;
            Optional<String[]> split = splitHostPort(entry);
            if (split.isPresent()) {
                host = split.get()[0];
                port = split.get()[1];
            }
            if (host.isEmpty()) {
                return Optional.empty(); // ":80": no host, ignored as Go ignores it
            }
            if (port != null && port.isEmpty()) {
                port = null;
            }
            Optional<InetAddress> ip = literalIp(host);
            if (ip.isEmpty() && host.startsWith("*.")) {
                host = host.substring(1);
            }
            return Optional.of(new NoProxyEntry(false, null, ip, host, port));
        }

        /** Whether a request to host (lower case, no brackets; ip if it is a literal) on port goes direct. */
        boolean matches(String host, Optional<InetAddress> hostIp, int port) {
            if (all) {
                return true;
            }
            if (cidr != null) {
                return hostIp.isPresent() && inCidr(hostIp.get(), cidr);
            }
            if (this.port != null && !this.port.equals(Integer.toString(port))) {
                return false;
            }
            if (ip.isPresent()) {
                return hostIp.isPresent() && hostIp.get().equals(ip.get());
            }
            if (hostIp.isPresent()) {
                return false; // a domain entry never matches a request to an IP ("0.1" is not 10.0.0.1's suffix)
            }
            return this.host.startsWith(".")
                    ? host.endsWith(this.host)
                    : host.equals(this.host) || host.endsWith("." + this.host);
        }
    }

    /**
     * net.SplitHostPort: {host, port} of "host:port" or "[host]:port" (brackets taken off), empty where Go's fails:
     * no colon, "[v6]" without a port, more than one colon outside brackets, a stray bracket.
     */
    static Optional<String[]> splitHostPort(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            return Optional.empty(); // missing port
        }
        String host;
        int from = 0;
        int after = 0;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0 || close + 1 != colon) {
                return Optional.empty(); // missing ']', missing port, too many colons
            }
            host = hostPort.substring(1, close);
            from = 1;
            after = close + 1;
        } else {
            host = hostPort.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                return Optional.empty(); // too many colons
            }
        }
        if (hostPort.indexOf('[', from) >= 0 || hostPort.indexOf(']', after) >= 0) {
            return Optional.empty(); // unexpected bracket
        }
        return Optional.of(new String[] {host, hostPort.substring(colon + 1)});
    }

    private final Optional<InetSocketAddress> httpsProxy;
    private final Optional<InetSocketAddress> httpProxy;
    private final Optional<Login> httpsLogin;
    private final Optional<Login> httpLogin;
    private final List<NoProxyEntry> noProxy;
    private final UpstreamTrust trust;

    private EgressProxy(
            Optional<InetSocketAddress> httpsProxy,
            Optional<InetSocketAddress> httpProxy,
            Optional<Login> httpsLogin,
            Optional<Login> httpLogin,
            List<NoProxyEntry> noProxy,
            UpstreamTrust trust) {
        this.httpsProxy = httpsProxy;
        this.httpProxy = httpProxy;
        this.httpsLogin = httpsLogin;
        this.httpLogin = httpLogin;
        this.noProxy = noProxy;
        this.trust = trust;
    }

    /** The same way out, trusting trust's certificate authorities on it. */
    public EgressProxy trusting(UpstreamTrust trust) {
        return new EgressProxy(
                httpsProxy, httpProxy, httpsLogin, httpLogin, noProxy, java.util.Objects.requireNonNull(trust));
    }

    /**
     * The {@code Proxy-Authorization} a request to uri carries: the login of the variable whose proxy it goes through
     * (HTTPS_PROXY's for https, HTTP_PROXY's for http), none when it goes direct (NO_PROXY, loopback) or that variable
     * has no login. The header goes to the egress proxy alone: on the CONNECT of a tunnel (the JDK's client sends only
     * a request's Proxy-* headers there and strips them from the request inside the tunnel), or on a plain-http request
     * to the proxy, which takes it off before forwarding (it is hop-by-hop).
     *
     * <p>The header, not an {@link java.net.Authenticator}: a client with an authenticator drops every request's own
     * Authorization header (the upstream's and netrc logins) and, as last session showed for netrc, answers a refused
     * login by sending it again, several times a request; a header is sent once, up front, as the go command sends
     * it. For CONNECT the JDK drops Basic unless {@value #TUNNELING_DISABLED_SCHEMES} leaves it out: see
     * {@link #allowBasicLoginOnTunnels}.
     */
    public Optional<String> authorizationFor(URI uri) {
        return loginFor(uri).map(Login::authorization);
    }

    /**
     * Whose login goes to the egress proxy a request to uri goes through, if one does: "user <name>", or "" for a
     * login without a password ({@code http://token@proxy}), whose one part may well be a token, never shown (as
     * {@link Redacted#url} masks it).
     */
    public Optional<String> userFor(URI uri) {
        return loginFor(uri).map(login -> login.withPassword() ? "user " + login.user() : "");
    }

    /** What the egress proxies' logins are sent or written as, longest first: masked wherever an answer is shown. */
    public List<String> secrets() {
        return Stream.concat(
                        httpsLogin.map(Login::secrets).orElse(List.of()).stream(),
                        httpLogin.map(Login::secrets).orElse(List.of()).stream())
                .distinct()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
    }

    private Optional<Login> loginFor(URI uri) {
        Optional<Login> login = "https".equalsIgnoreCase(uri.getScheme())
                ? httpsLogin
                : "http".equalsIgnoreCase(uri.getScheme()) ? httpLogin : Optional.empty();
        if (login.isEmpty() || select(uri).stream().allMatch(proxy -> proxy.type() == Proxy.Type.DIRECT)) {
            return Optional.empty();
        }
        return login;
    }

    /**
     * Lets the JDK's HTTP client send {@code Proxy-Authorization: Basic} on CONNECT when HTTPS_PROXY or HTTP_PROXY in
     * environment carries a login: it drops Basic there by default ({@value #TUNNELING_DISABLED_SCHEMES}=Basic in
     * net.properties, against a login sent in clear text to a proxy when a user believes the https of the tunnel
     * protects it), and the go command sends it. The JDK reads the property once, when the first class of its
     * client's implementation (jdk.internal.net.http.common.Utils) is initialized, which the first HttpClient or
     * HttpRequest built in the JVM does: so ProxyMain calls this before anything else, and a login given this way
     * overrides a value set with -D (the login is the more specific wish). The login goes only to the egress proxy
     * its variable names ({@link #authorizationFor}); nothing in this proxy uses an Authenticator, so no other login is
     * sent on a tunnel because of it.
     */
    public static void allowBasicLoginOnTunnels(Map<String, String> environment) {
        boolean login = Stream.of("HTTPS_PROXY", "HTTP_PROXY")
                .map(name -> firstSet(environment, name))
                .flatMap(Optional::stream)
                .anyMatch(variable -> rawUserInfo(variable.getValue()).isPresent());
        if (login) {
            System.setProperty(TUNNELING_DISABLED_SCHEMES, "");
        }
    }

    /** The raw (still percent-encoded) userinfo of a proxy variable's URL, if it parses and has one. */
    private static Optional<String> rawUserInfo(String value) {
        try {
            URI uri = new URI(value.contains("://") ? value : "http://" + value);
            return Optional.ofNullable(uri.getRawUserInfo()).filter(info -> !info.isEmpty());
        } catch (URISyntaxException e) {
            return Optional.empty(); // refused with its reason when the proxy is built
        }
    }

    /** The certificate authorities an upstream's TLS certificate may be signed by (the JVM's unless told). */
    public UpstreamTrust trust() {
        return trust;
    }

    public static EgressProxy fromEnvironment() {
        return of(System.getenv());
    }

    public static EgressProxy of(Map<String, String> environment) {
        List<NoProxyEntry> noProxy = new ArrayList<>();
        for (String entry : first(environment, "NO_PROXY").orElse("").split(",")) {
            if (!entry.isBlank()) {
                NoProxyEntry.parse(entry.strip().toLowerCase(Locale.ROOT)).ifPresent(noProxy::add);
            }
        }
        Optional<InetSocketAddress> https = address(environment, "HTTPS_PROXY");
        Optional<InetSocketAddress> http = address(environment, "HTTP_PROXY");
        allowBasicLoginOnTunnels(environment);
        return new EgressProxy(
                https,
                http,
                login(environment, "HTTPS_PROXY"),
                login(environment, "HTTP_PROXY"),
                noProxy,
                UpstreamTrust.jvmDefault());
    }

    /**
     * The login in a proxy variable's URL, read as {@link Login#fromUserInfo} reads any URL's userinfo; a refusal
     * names the variable and shows its value without the password.
     */
    private static Optional<Login> login(Map<String, String> environment, String upperCase) {
        return firstSet(environment, upperCase)
                .flatMap(variable -> rawUserInfo(variable.getValue()).map(userInfo -> {
                    try {
                        return Login.fromUserInfo(userInfo);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(variable.getKey() + " \"" + Redacted.url(variable.getValue())
                                + "\": " + e.getMessage());
                    }
                }));
    }

    private static Optional<InetSocketAddress> address(Map<String, String> environment, String upperCase) {
        return firstSet(environment, upperCase).map(variable -> address(variable.getKey(), variable.getValue()));
    }

    @Override
    public List<Proxy> select(URI uri) {
        Optional<InetSocketAddress> proxy = "https".equalsIgnoreCase(uri.getScheme())
                ? httpsProxy
                : "http".equalsIgnoreCase(uri.getScheme()) ? httpProxy : Optional.empty();
        if (proxy.isEmpty() || uri.getHost() == null || !useProxy(uri.getHost(), port(uri))) {
            return List.of(Proxy.NO_PROXY);
        }
        return List.of(new Proxy(Proxy.Type.HTTP, proxy.get()));
    }

    @Override
    public void connectFailed(URI uri, SocketAddress proxy, IOException failure) {
        // the upstream's own error (and circuit breaker) reports it
    }

    /** httpproxy.Config.useProxy: false for localhost, loopback and NO_PROXY matches. */
    boolean useProxy(String rawHost, int port) {
        String host = rawHost.toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.equals("localhost")) {
            return false;
        }
        Optional<InetAddress> ip = literalIp(host);
        if (ip.isPresent() && ip.get().isLoopbackAddress()) {
            return false;
        }
        for (NoProxyEntry entry : noProxy) {
            if (entry.matches(host, ip, port)) {
                return false;
            }
        }
        return true;
    }

    private static Optional<String> first(Map<String, String> environment, String upperCase) {
        return firstSet(environment, upperCase).map(Map.Entry::getValue);
    }

    /** The upper-case variable, else the lower-case one, with its name; its value stripped. */
    private static Optional<Map.Entry<String, String>> firstSet(Map<String, String> environment, String upperCase) {
        for (String name : List.of(upperCase, upperCase.toLowerCase(Locale.ROOT))) {
            String value = environment.get(name);
            if (value != null && !value.isBlank()) {
                return Optional.of(Map.entry(name, value.strip()));
            }
        }
        return Optional.empty();
    }

    /**
     * "proxy.corp:3128" or "http://proxy.corp:3128"; as in Go, a missing scheme means http. A refusal names the
     * variable and shows the value without its password: a proxy login often rides in these variables.
     */
    private static InetSocketAddress address(String name, String value) {
        String shown = name + " \"" + Redacted.url(value) + "\"";
        // a login with a raw '@', '/', '#' or '%' in it (Go takes a raw '@'; java.net.URI finds no host then) reads as
        // a URL without a host, or none: say how to write it
        String rest = value.contains("://") ? value.substring(value.indexOf("://") + 3) : value;
        String login = rest.lastIndexOf('@') < 0 ? "" : rest.substring(0, rest.lastIndexOf('@'));
        boolean rawReserved = login.matches(".*([@/#? ]|%(?![0-9A-Fa-f]{2})).*");
        String loginHint = rawReserved
                ? " (characters such as @ : / % # ? in its login are percent-encoded, as in any URL: @ as %40, / as"
                        + " %2F, % as %25, # as %23, ? as %3F)"
                : "";
        URI uri;
        try {
            uri = new URI(value.contains("://") ? value : "http://" + value);
        } catch (URISyntaxException e) {
            // the exception's own message repeats the whole value
            throw new IllegalArgumentException(shown + " is not a URL (" + e.getReason() + ")" + loginHint);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(shown + " has no host name" + loginHint);
        }
        if (uri.getScheme().toLowerCase(Locale.ROOT).startsWith("socks")) {
            // the JDK's HTTP client speaks HTTP to a proxy: CONNECT to a SOCKS port fails with words that name neither
            throw new IllegalArgumentException(shown + " is a SOCKS proxy, which this proxy cannot use (the go command"
                    + " can): give an HTTP proxy, http://host:port, which it asks to tunnel https upstreams with"
                    + " CONNECT");
        }
        if (uri.getScheme().equalsIgnoreCase("https")) {
            // the go command speaks TLS to such a proxy; the JDK's HTTP client cannot, and spoke plain HTTP to its
            // TLS port, so every fetch failed without saying why
            throw new IllegalArgumentException(shown + " asks for TLS to the egress proxy itself (an https:// proxy"
                    + " URL), which this proxy cannot speak (the go command can): give the egress proxy's plain-HTTP"
                    + " port as an http:// URL, http://host:port (often 3128); https upstreams are still tunnelled"
                    + " through it with CONNECT, TLS end to end");
        }
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        return InetSocketAddress.createUnresolved(uri.getHost(), port);
    }

    private static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /** An IP literal, never a DNS lookup. */
    private static Optional<InetAddress> literalIp(String text) {
        boolean v4 = text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        boolean v6 = text.contains(":") && text.matches("[0-9a-f:.]+");
        if (!v4 && !v6) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(text));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static boolean inCidr(InetAddress ip, String cidr) {
        String[] parts = cidr.split("/", 2);
        Optional<InetAddress> network = literalIp(parts[0]);
        if (network.isEmpty() || network.get().getAddress().length != ip.getAddress().length) {
            return false;
        }
        int bits;
        try {
            bits = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            return false;
        }
        int total = ip.getAddress().length * 8;
        if (bits < 0 || bits > total) {
            return false;
        }
        BigInteger mask = BigInteger.ONE
                .shiftLeft(total)
                .subtract(BigInteger.ONE)
                .xor(BigInteger.ONE.shiftLeft(total - bits).subtract(BigInteger.ONE));
        return new BigInteger(1, ip.getAddress())
                .and(mask)
                .equals(new BigInteger(1, network.get().getAddress()).and(mask));
    }
}
