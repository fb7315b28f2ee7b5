package dev.modproxy.proxy.upstream;

import dev.modproxy.contract.Redacted;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;

/** One GOPROXY base URL with its own circuit breaker. */
public final class Upstream {

    /** Redirects followed per request, as many as the go command follows. */
    private static final int MAX_REDIRECTS = 10;

    /** How the JDK's client reports an egress proxy's refusal of CONNECT (other than 407, which it hands back). */
    private static final Pattern TUNNEL_REFUSED = Pattern.compile("Tunnel failed, got: (\\d{3})");

    /** How long a refusal's body may take to arrive before it is given up and the refusal passed on without it. */
    private static final Duration EXPLANATION_WAIT = Duration.ofSeconds(2);

    private final URI base;
    private final HttpClient client;
    /** The certificate authorities its TLS certificate (and its redirect targets') may be signed by. */
    private final UpstreamTrust trust;
    /**
     * Logins for the hosts a netrc names, sent over https only: the upstream's own when its URL has none, and those of
     * redirect targets.
     */
    private final UpstreamCredentials netrc;

    private final Duration readTimeout;
    private final CircuitBreaker breaker;
    private final String authorization;
    /** What this upstream's login is sent or written as, masked in the reasons it gives. */
    private final List<String> secrets;

    /** Finds the addresses of a host name (the system resolver; tests give their own). */
    @FunctionalInterface
    public interface HostResolver {
        InetAddress[] addresses(String host) throws UnknownHostException;
    }

    private final HostResolver resolver;
    private volatile Boolean internalBase;
    /** The egress proxy the client goes through (none for a client built without one): its logins, its trust. */
    private final Optional<EgressProxy> egress;

    public Upstream(URI base, HttpClient client, Duration readTimeout, CircuitBreaker breaker) {
        this(base, client, readTimeout, breaker, InetAddress::getAllByName);
    }

    public Upstream(URI base, HttpClient client, Duration readTimeout, CircuitBreaker breaker, HostResolver resolver) {
        this(base, client, UpstreamCredentials.none(), readTimeout, breaker, resolver);
    }

    /**
     * @param client without an authenticator: the JDK's client never sends a request's own Authorization header when
     *     it has one. Built with an {@link EgressProxy}, it trusts the certificate authorities that proxy carries
     *     ({@link EgressProxy#trust()}, which the client's SSL context must hold), and a refused certificate names them
     * @param netrc the logins sent over https to the hosts it names (never over plain http, as the go command), but
     *     never instead of the login in the URL to its own origin
     */
    Upstream(
            URI base,
            HttpClient client,
            UpstreamCredentials netrc,
            Duration readTimeout,
            CircuitBreaker breaker,
            HostResolver resolver) {
        this.resolver = resolver;
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text : text + "/");
        // credentials in the URL, as GOPROXY allows, travel as basic auth, read as the go command reads them (Go's
        // url.Parse: user and password split at the first ':', each percent-decoded), and never appear in logs or tags
        Optional<Login> login = Optional.ofNullable(base.getRawUserInfo())
                .filter(userInfo -> !userInfo.isEmpty())
                .map(userInfo -> {
                    try {
                        return Login.fromUserInfo(userInfo);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("\"" + Redacted.url(text) + "\": " + e.getMessage());
                    }
                });
        this.authorization = login.map(Login::authorization).orElse(null);
        this.secrets = login.map(Login::secrets).orElse(List.of());
        this.egress = client.proxy().filter(EgressProxy.class::isInstance).map(EgressProxy.class::cast);
        this.trust = egress.map(EgressProxy::trust).orElse(UpstreamTrust.jvmDefault());
        this.client = client;
        this.netrc = netrc;
        this.readTimeout = readTimeout;
        this.breaker = breaker;
    }

    /** The base URL without credentials. */
    public URI base() {
        return URI.create(toString());
    }

    /** The tag used in metrics and logs: host and port, never credentials or the path. */
    public String host() {
        return base.getPort() < 0 ? base.getHost() : base.getHost() + ":" + base.getPort();
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /**
     * Requests {@code base + relativePath}. Waiting for the headers and each gap in the body are
     * bounded by the read timeout; connecting by the client's connect timeout. Redirects (mirrors send
     * zips to a storage host) are followed up to {@link #MAX_REDIRECTS} hops.
     */
    public UpstreamResponse get(String relativePath) throws IOException {
        return get(relativePath, null);
    }

    /** As {@link #get(String)}, and the whole answer, headers and body, must arrive within deadline (null: no limit). */
    public UpstreamResponse get(String relativePath, Duration deadline) throws IOException {
        URI uri = base.resolve(relativePath);
        long deadlineNanos = deadline == null ? Long.MAX_VALUE : System.nanoTime() + deadline.toNanos();
        for (int hops = 0; ; hops++) {
            HttpResponse<Flow.Publisher<List<ByteBuffer>>> response = send(uri, deadlineNanos);
            UpstreamBody body = new UpstreamBody(readTimeout, connectingTo(uri), deadlineNanos);
            if (response.body() == null) {
                // the JDK's client hands back an egress proxy's refusal of CONNECT (a 407) without a body; with no
                // authenticator it does not ask again: one 407 per request
                throw new EgressLoginRefusedException(egressRefusal(uri, response.statusCode()));
            }
            response.body().subscribe(body);
            if (response.statusCode() == 407 && throughEgressProxy(uri)) {
                // a plain-http request's 407 is the egress proxy's, not the upstream's; its page is not read. Without
                // one on the way, the 407 is the upstream's own (or a transparent proxy's), passed on as a 401 is
                body.close();
                throw new EgressLoginRefusedException(egressRefusal(uri, 407));
            }
            URI next;
            try {
                next = redirectTarget(uri, response);
                if (next != null && hops == MAX_REDIRECTS) {
                    throw new UnusableAnswerException("redirected more than " + MAX_REDIRECTS + " times");
                }
            } catch (IOException e) {
                body.close();
                throw e;
            }
            if (next != null) {
                body.close();
                uri = next;
                continue;
            }
            if (response.headers().firstValue("Content-Length").isPresent()
                    && response.headers().firstValue("Transfer-Encoding").isPresent()) {
                // RFC 9112 6.3: a sign of request smuggling or response splitting; which framing holds the body is
                // anyone's guess
                body.close();
                throw new UnusableAnswerException(
                        "answered with both Content-Length and Transfer-Encoding (RFC 9112 6.3)");
            }
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            String encoding = response.headers().firstValue("Content-Encoding").orElse("identity");
            if (response.statusCode() == 200) {
                if (encoding.equalsIgnoreCase("gzip")) {
                    // some mirrors gzip regardless of Accept-Encoding; the go command decodes that, so do we
                    return new UpstreamResponse(this, 200, contentType, -1, new GzipBody(body), "");
                }
                return new UpstreamResponse(this, 200, contentType, length, body, "");
            }
            String explanation = "";
            try {
                // the reason is a courtesy: a refusal must not wait on an upstream that stalls in its body
                body.finishWithin(EXPLANATION_WAIT);
                if (encoding.equalsIgnoreCase("identity")) { // compressed text would arrive as junk
                    explanation = UpstreamExplanation.read(contentType, body, secretsFor(uri));
                }
            } catch (IOException e) {
                // the reason is lost, the refusal is not
            } finally {
                body.close();
            }
            if (response.statusCode() == 401 || response.statusCode() == 407) {
                String advice = response.statusCode() == 401 ? loginAdvice(uri) : proxyLoginAdvice(uri);
                explanation = explanation.isEmpty() ? advice : explanation + " (" + advice + ")";
            }
            return new UpstreamResponse(this, response.statusCode(), contentType, length, body, explanation);
        }
    }

    private HttpResponse<Flow.Publisher<List<ByteBuffer>>> send(URI uri, long deadlineNanos) throws IOException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new UpstreamTimeoutException(host() + " did not send a whole answer in time");
        }
        Duration wait = left < readTimeout.toNanos() ? Duration.ofNanos(left) : readTimeout;
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri).GET().timeout(wait).header("User-Agent", "modproxy");
        // the URL's login goes only to the configured origin, never to a host it redirects to (a CDN); a netrc's only
        // to the hosts it names, and only over https
        loginFor(uri).ifPresent(login -> request.header("Authorization", login));
        // the egress proxy's own login (HTTPS_PROXY's or HTTP_PROXY's userinfo), only when the request goes through it
        egress.flatMap(proxy -> proxy.authorizationFor(uri))
                .ifPresent(login -> request.header("Proxy-Authorization", login));
        if ("http".equals(uri.getScheme())) {
            request.version(HttpClient.Version.HTTP_1_1); // no h2c upgrade dance with plain-HTTP mirrors
        }
        HttpRequest built = request.build(); // outside the try: a fault here is ours, not the answer's
        try {
            return client.send(built, HttpResponse.BodyHandlers.ofPublisher());
        } catch (HttpConnectTimeoutException e) {
            // through an egress proxy, the time covers connecting to it and its CONNECT to the host: either was slow
            throw new UpstreamTimeoutException(connectingTo(uri) + " did not accept a connection in time"
                    + egressProxyFor(uri)
                            .map(proxy -> " through the egress proxy " + shown(proxy) + " (" + proxyVariable(uri) + ")")
                            .orElse(""));
        } catch (HttpTimeoutException e) {
            throw new UpstreamTimeoutException(connectingTo(uri) + " sent no answer within " + wait.toMillis() + " ms");
        } catch (ConnectException e) {
            Optional<InetSocketAddress> egress = egressProxyFor(uri);
            if (egress.isPresent()) {
                // through an egress proxy the cache connects to it alone and never looks up the host's name (the
                // egress proxy does): the connection refused, or the name not found, is the egress proxy's
                throw new IOException(egressUnreachable(uri, egress.get(), unresolved(e)), e);
            }
            throw new IOException(
                    unresolved(e)
                            ? "cannot resolve host " + uri.getHost() + " (DNS)"
                            : connectingTo(uri) + " refused the connection",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + host(), e);
        } catch (SSLHandshakeException e) {
            throw new IOException(connectingTo(uri) + handshakeFailure(e), e);
        } catch (IOException e) {
            Matcher tunnel = TUNNEL_REFUSED.matcher(String.valueOf(e.getMessage()));
            if (tunnel.matches()) {
                // the JDK's words for an egress proxy that answered CONNECT with anything but 200 or 407
                throw new IOException(egressRefusal(uri, Integer.parseInt(tunnel.group(1))), e);
            }
            if (sameOrigin(uri)) {
                throw e;
            }
            // a redirect target that cuts its answer is not the upstream failing (its message says only what broke)
            throw new IOException(connectingTo(uri) + " did not answer: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            // the JDK's client throws this for a Content-Length that is no number (or over Long.MAX_VALUE): the
            // answer's fault, so the next '|' entry is tried, not a local fault that ends the request
            throw new UnusableAnswerException("answered with headers the HTTP client cannot read ("
                    + String.valueOf(e.getMessage()).replaceAll("\\p{Cntrl}", "?") + ")");
        }
    }

    private static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /**
     * The Authorization header a request to uri carries: the URL's login on its own origin (whatever its scheme: the
     * operator wrote it there), else the netrc's, over https only.
     */
    private java.util.Optional<String> loginFor(URI uri) {
        if (authorization != null && sameOrigin(uri)) {
            return java.util.Optional.of(authorization);
        }
        // as the go command adds a netrc login only to https requests (cmd/go/internal/web/http.go), even for a
        // GOINSECURE host: over plain http the password would cross the network in clear text
        return isHttps(uri) ? netrc.authorization(uri.getHost()) : java.util.Optional.empty();
    }

    private static boolean isHttps(URI uri) {
        return "https".equalsIgnoreCase(uri.getScheme());
    }

    /** Whether the client's proxy selector sends a request to uri through an egress proxy (not NO_PROXY, loopback). */
    private boolean throughEgressProxy(URI uri) {
        return client.proxy()
                .map(selector -> selector.select(uri))
                .map(proxies -> proxies.stream().anyMatch(proxy -> proxy.type() != java.net.Proxy.Type.DIRECT))
                .orElse(false);
    }

    /**
     * What the URL's login and the netrc's login for uri's host are sent or written as, longest first: masked in what
     * an answer from uri says.
     */
    private List<String> secretsFor(URI uri) {
        return Stream.of(
                        secrets.stream(),
                        netrc.secrets(uri.getHost()).stream(),
                        egress.map(EgressProxy::secrets).orElse(List.of()).stream())
                .flatMap(secret -> secret)
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
    }

    /** What a 401 from uri says to whoever configures the cache: which login was refused, or where to give one. */
    private String loginAdvice(URI uri) {
        if (authorization != null && sameOrigin(uri)) {
            return "the login in the upstream's URL (MODPROXY_UPSTREAM) was refused";
        }
        if (!isHttps(uri)) {
            // giving a netrc login would not help: it is never sent over plain http
            String netrcLogins = netrc.user(uri.getHost()).isPresent()
                    ? "MODPROXY_NETRC's login for " + uri.getHost() + " goes"
                    : "MODPROXY_NETRC logins go";
            return "no login was sent: " + netrcLogins + " over https only, as with the go command, never in clear"
                    + " text over http: reach " + uri.getHost() + " over https";
        }
        return netrc.user(uri.getHost())
                .map(user -> "user " + user + "'s login for " + uri.getHost() + " in MODPROXY_NETRC was refused")
                .orElse("no login was sent: give one for " + uri.getHost() + " in MODPROXY_NETRC");
    }

    /**
     * What a 407 from uri says when no egress proxy is on the way: something answering for the upstream (itself, or
     * a transparent proxy the cache does not know of) wants a proxy login, which this proxy never sends.
     */
    private String proxyLoginAdvice(URI uri) {
        String variable = proxyVariable(uri);
        return "a proxy login was asked for, but the cache reaches " + uri.getHost() + " directly, through no "
                + variable + " (unset, or NO_PROXY or loopback exempts it), and sends no proxy login: a transparent"
                + " proxy on the way, or the upstream itself, refused the request";
    }

    /**
     * The egress proxy's refusal to carry a request to uri (a 407: it refused the login its variable gives, or wants one
     * where none is given; any other status, a CONNECT refused), naming the proxy and its variable, never the password:
     * the upstream never saw the request.
     */
    private String egressRefusal(URI uri, int status) {
        String variable = proxyVariable(uri);
        String named = egressProxyFor(uri)
                .map(proxy -> "the egress proxy " + shown(proxy) + " (" + variable + ")")
                .orElse("the egress proxy in " + variable);
        if (status == 407) {
            Optional<String> user = egress.flatMap(proxy -> proxy.userFor(uri));
            if (user.isPresent()) {
                // the login was sent (once: no authenticator asks again): it is the one refused, never shown
                return named + " answered 407 Proxy Authentication Required: it refused the login "
                        + (user.get().isEmpty() ? "" : "of " + user.get() + " ") + "given in " + variable
                        + " (check its user and password; characters such as"
                        + " @ : / % # ? in them percent-encoded, as in any URL)";
            }
            return named + " answered 407 Proxy Authentication Required: it wants a login, and " + variable
                    + " gives none: give it as http://user:password@host:port (characters such as @ : / % # ? in"
                    + " them percent-encoded), or reach " + uri.getHost() + " directly (NO_PROXY)";
        }
        // a 5xx is the egress proxy failing to reach the host (squid's 503 for a name its DNS does not know, 502 or
        // 504 for a host that refuses or does not answer it), not a refusal of it
        String why = status >= 500
                ? "it could not reach that host (a name its DNS does not know, or a host that does not answer it)"
                : "it does not let the cache reach that host (ask its administrators)";
        return named + " answered " + status + " to CONNECT " + uri.getHost() + ":" + port(uri) + ": " + why
                + ", or reach " + uri.getHost() + " directly (NO_PROXY)";
    }

    /**
     * Why the egress proxy a request to uri goes through could not be reached: its name did not resolve, or it refused
     * the connection. The host of uri was not asked.
     */
    private static String egressUnreachable(URI uri, InetSocketAddress proxy, boolean unresolved) {
        String variable = proxyVariable(uri);
        if (unresolved) {
            return "cannot resolve the egress proxy's host " + proxy.getHostString() + " (DNS), named in " + variable
                    + ": " + uri.getHost() + " was not asked";
        }
        return "the egress proxy " + shown(proxy) + " (" + variable + ") refused the connection: " + uri.getHost()
                + " was not asked (is the egress proxy running, and " + variable + " its address?)";
    }

    /** The variable naming the egress proxy of a request to uri. */
    private static String proxyVariable(URI uri) {
        return isHttps(uri) ? "HTTPS_PROXY" : "HTTP_PROXY";
    }

    /** The egress proxy the client's proxy selector sends a request to uri through, if any. */
    private Optional<InetSocketAddress> egressProxyFor(URI uri) {
        return client.proxy()
                .map(selector -> selector.select(uri))
                .flatMap(proxies -> proxies.stream()
                        .filter(proxy -> proxy.type() != java.net.Proxy.Type.DIRECT)
                        .map(java.net.Proxy::address)
                        .filter(InetSocketAddress.class::isInstance)
                        .map(address -> (InetSocketAddress) address)
                        .findFirst());
    }

    /** An egress proxy's address as its variable gives it: "host:port", unresolved. */
    private static String shown(InetSocketAddress proxy) {
        return proxy.getHostString() + ":" + proxy.getPort();
    }

    /**
     * Who was asked: the upstream, or the host one of its redirects named (scheme, host and port only: a redirect's
     * path or query may carry a signed token), so a dead or broken CDN is not taken for a dead mirror. Followed by a
     * verb: "refused the connection", "sent no data".
     */
    private String connectingTo(URI uri) {
        if (sameOrigin(uri)) {
            return host();
        }
        String target = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        return host() + " redirected to " + target + ", which";
    }

    /**
     * What a failed TLS handshake says to whoever configures the cache, after "host": the JDK's own words
     * ("PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: ...") say neither that
     * the certificate is not trusted nor what to do.
     */
    private String handshakeFailure(SSLHandshakeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertPathBuilderException) {
                String given = trust.file()
                        .map(file -> "neither the JVM's nor the "
                                + trust.added().size()
                                + " in MODPROXY_UPSTREAM_CA_FILE " + file + " (is it the CA that signed this host's"
                                + " certificate, or its egress proxy's?)")
                        .orElse("a private CA, or a TLS-inspecting egress proxy: give the proxy that CA's"
                                + " certificate, MODPROXY_UPSTREAM_CA_FILE or the GoProxyCache's spec.upstreamCA");
                return " sent a TLS certificate that no certificate authority this proxy trusts has signed (" + given
                        + "; see docs/troubleshooting.md)";
            }
            if (cause instanceof CertificateExpiredException || cause instanceof CertificateNotYetValidException) {
                return " sent a TLS certificate that is not valid now (" + cause.getMessage() + ")";
            }
        }
        String message = e.getMessage();
        if (message != null && message.startsWith("No subject alternative")) {
            return " sent a TLS certificate for another host name (" + message + ")";
        }
        return " failed the TLS handshake (" + message + ")";
    }

    /** The JDK reports a name that does not resolve as a ConnectException too; users need to tell them apart. */
    private static boolean unresolved(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof UnresolvedAddressException || cause instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Where a 301/302/303/307/308 points, or null to take the answer as it is (no Location); a location that is not
     * http(s), or http from https, is an unusable answer.
     */
    private URI redirectTarget(URI from, HttpResponse<?> response) throws IOException {
        int status = response.statusCode();
        if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
            return null;
        }
        String location = response.headers().firstValue("Location").orElse(null);
        if (location == null) {
            return null;
        }
        URI to;
        try {
            to = from.resolve(location);
        } catch (IllegalArgumentException e) {
            throw new IOException(host() + " redirected to a malformed location");
        }
        boolean web =
                "https".equals(to.getScheme()) || "http".equals(to.getScheme()) && !"https".equals(from.getScheme());
        if (!web || to.getHost() == null) {
            // named by scheme and host only: a redirect's query may carry a signed token
            throw new UnusableAnswerException("redirected to a " + to.getScheme() + ": location"
                    + (to.getHost() == null ? "" : " on " + to.getHost())
                    + ", which is not followed (only http and https, never from https to http)");
        }
        if (!to.getHost().equalsIgnoreCase(base.getHost()) && isInternal(to.getHost()) && !baseIsInternal()) {
            // a mirror (or whoever took it over) must not make the cache read cluster-internal services for it
            throw new UnusableAnswerException(
                    "redirected to " + to.getHost() + ", an internal address (loopback, link-local"
                            + " or private), while " + base.getHost() + " is not");
        }
        return to;
    }

    private boolean baseIsInternal() {
        Boolean internal = internalBase;
        if (internal == null) {
            internal = isInternal(base.getHost());
            internalBase = internal;
        }
        return internal;
    }

    /** Whether any address of host is loopback, link-local, private (RFC 1918, IPv6 unique local) or unspecified. */
    private boolean isInternal(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] addresses;
        try {
            addresses = resolver.addresses(bare);
        } catch (UnknownHostException e) {
            return false; // cannot be connected to either
        }
        for (InetAddress address : addresses) {
            byte[] raw = address.getAddress();
            boolean uniqueLocal = raw.length == 16 && (raw[0] & 0xfe) == 0xfc;
            boolean sharedCgnat = raw.length == 4 && (raw[0] & 0xff) == 100 && (raw[1] & 0xc0) == 64;
            if (address.isLoopbackAddress()
                    || address.isLinkLocalAddress()
                    || address.isSiteLocalAddress()
                    || address.isAnyLocalAddress()
                    || uniqueLocal
                    || sharedCgnat) {
                return true;
            }
        }
        return false;
    }

    private boolean sameOrigin(URI uri) {
        return base.getScheme().equalsIgnoreCase(uri.getScheme())
                && base.getHost().equalsIgnoreCase(uri.getHost())
                && base.getPort() == uri.getPort();
    }

    @Override
    public String toString() {
        return base.getScheme() + "://" + host() + base.getRawPath();
    }
}
