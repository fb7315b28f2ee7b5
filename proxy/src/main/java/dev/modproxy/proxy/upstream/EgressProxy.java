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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The corporate egress proxy as the go command reads it (golang.org/x/net/http/httpproxy): HTTPS_PROXY for https
 * upstreams (the JDK tunnels with CONNECT), HTTP_PROXY for http ones, upper case before lower case, and NO_PROXY
 * entries ("*", IPs, CIDRs, "example.com" with its subdomains, ".example.com" for subdomains only, each optionally
 * with ":port"). localhost and loopback addresses are never sent through the proxy.
 *
 * <p>It also carries the certificate authorities the way out trusts ({@link UpstreamTrust}: the JVM's, and those of
 * MODPROXY_UPSTREAM_CA_FILE), as every HTTP client that reaches an upstream or the checksum database is built with it:
 * the chain's and the checksum database's clients take its SSL context ({@link UpstreamTrust#sslContext}).
 */
public final class EgressProxy extends ProxySelector {

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
    private final List<NoProxyEntry> noProxy;
    private final UpstreamTrust trust;

    private EgressProxy(
            Optional<InetSocketAddress> httpsProxy,
            Optional<InetSocketAddress> httpProxy,
            List<NoProxyEntry> noProxy,
            UpstreamTrust trust) {
        this.httpsProxy = httpsProxy;
        this.httpProxy = httpProxy;
        this.noProxy = noProxy;
        this.trust = trust;
    }

    /** The same way out, trusting trust's certificate authorities on it. */
    public EgressProxy trusting(UpstreamTrust trust) {
        return new EgressProxy(httpsProxy, httpProxy, noProxy, java.util.Objects.requireNonNull(trust));
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
        return new EgressProxy(
                address(environment, "HTTPS_PROXY"),
                address(environment, "HTTP_PROXY"),
                noProxy,
                UpstreamTrust.jvmDefault());
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
        URI uri;
        try {
            uri = new URI(value.contains("://") ? value : "http://" + value);
        } catch (URISyntaxException e) {
            // the exception's own message repeats the whole value
            throw new IllegalArgumentException(shown + " is not a URL (" + e.getReason() + ")");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(shown + " has no host name");
        }
        if (uri.getScheme().toLowerCase(Locale.ROOT).startsWith("socks")) {
            // the JDK's HTTP client speaks HTTP to a proxy: CONNECT to a SOCKS port fails with words that name neither
            throw new IllegalArgumentException(shown + " is a SOCKS proxy, which this proxy cannot use (the go command"
                    + " can): give an HTTP proxy, http://host:port, which it asks to tunnel https upstreams with"
                    + " CONNECT");
        }
        int port = uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
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
