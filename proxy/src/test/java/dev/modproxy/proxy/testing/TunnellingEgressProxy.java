package dev.modproxy.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A corporate egress proxy on loopback that does what squid does for a client behind it: it tunnels {@code CONNECT
 * host:port} (answering {@code 200 Connection established}, then relaying bytes both ways, TLS included, which it
 * cannot read) and forwards plain-http requests in absolute form ({@code GET http://host/path}). It is the only way to
 * the hosts it knows: their names resolve here alone ({@code routes}, name and port to a loopback address), as names
 * of an internal network resolve only at its proxy; a host it does not know is answered 502, as a proxy answers for a
 * name its DNS does not know.
 *
 * <p>It records every request line and request head, and every byte it relayed either way, so a test can show what
 * crossed it in clear text (a login sent inside a tunnel never does). Started {@link #requiringLogin requiring a
 * login}, it answers 407 with a Basic challenge to whatever comes without that {@code Proxy-Authorization}, CONNECT
 * or not.
 */
public final class TunnellingEgressProxy implements AutoCloseable {

    private final ServerSocket server;
    private final Map<String, InetSocketAddress> routes;
    private final String requiredLogin;
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream relayed = new ByteArrayOutputStream();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "tunnelling-egress-proxy");
        thread.setDaemon(true);
        return thread;
    });

    private TunnellingEgressProxy(Map<String, InetSocketAddress> routes, String requiredLogin) throws IOException {
        this.routes = Map.copyOf(routes);
        this.requiredLogin = requiredLogin;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        workers.execute(this::accept);
    }

    /**
     * A proxy reaching each "host:port" of routes (lower case) at its address; every other host is a 502.
     */
    public static TunnellingEgressProxy start(Map<String, InetSocketAddress> routes) throws IOException {
        return new TunnellingEgressProxy(routes, null);
    }

    /** As {@link #start}, answering 407 to every request without {@code Proxy-Authorization: Basic user:password}. */
    public static TunnellingEgressProxy requiringLogin(
            Map<String, InetSocketAddress> routes, String user, String password) throws IOException {
        String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return new TunnellingEgressProxy(routes, "Basic " + token);
    }

    /** As HTTPS_PROXY and HTTP_PROXY name it. */
    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** "127.0.0.1:port", as an error message names the proxy. */
    public String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Every request line it got, in order: "CONNECT host:443 HTTP/1.1", "GET http://host/path HTTP/1.1". */
    public List<String> requestLines() {
        return List.copyOf(requestLines);
    }

    /** The CONNECT targets it was asked for ("host:port"), tunnelled or refused. */
    public List<String> connectTargets() {
        return requestLines.stream()
                .filter(line -> line.startsWith("CONNECT "))
                .map(line -> line.split(" ")[1])
                .toList();
    }

    /** Every request head it got (request line and header lines), as sent to it. */
    public List<String> heads() {
        return List.copyOf(heads);
    }

    /** Whether text crossed it in clear, in a request head or in the bytes it relayed either way. */
    public boolean sawInClear(String text) {
        if (heads.stream().anyMatch(head -> head.contains(text))) {
            return true;
        }
        synchronized (relayed) {
            return relayed.toString(StandardCharsets.ISO_8859_1).contains(text);
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                workers.execute(() -> serve(client));
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            String head = readHead(in);
            heads.add(head);
            String requestLine = head.substring(0, head.indexOf("\r\n"));
            requestLines.add(requestLine);
            String[] parts = requestLine.split(" ");
            if (requiredLogin != null
                    && !header(head, "Proxy-Authorization")
                            .map(requiredLogin::equals)
                            .orElse(false)) {
                refuse(out, "407 Proxy Authentication Required", "Proxy-Authenticate: Basic realm=\"corp\"\r\n");
                return;
            }
            if (parts.length != 3) {
                refuse(out, "400 Bad Request", "");
                return;
            }
            if (parts[0].equals("CONNECT")) {
                tunnel(client, parts[1], in, out);
            } else {
                forward(parts, head, out);
            }
        } catch (IOException e) {
            // a client or a target that went away
        } finally {
            open.remove(client);
        }
    }

    private void tunnel(Socket client, String hostPort, InputStream in, OutputStream out) throws IOException {
        InetSocketAddress target = routes.get(hostPort.toLowerCase(Locale.ROOT));
        if (target == null) {
            refuse(out, "502 Bad Gateway", "");
            return;
        }
        try (Socket upstream = new Socket(target.getAddress(), target.getPort())) {
            open.add(upstream);
            out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            workers.execute(() -> relay(upstream, client));
            relay(client, upstream);
        } finally {
            open.removeIf(Socket::isClosed);
        }
    }

    /** A plain-http request in absolute form, sent on to its host as an origin-form request. */
    private void forward(String[] parts, String head, OutputStream out) throws IOException {
        URI uri = URI.create(parts[1]);
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        InetSocketAddress target = routes.get(uri.getHost().toLowerCase(Locale.ROOT) + ":" + port);
        if (target == null) {
            refuse(out, "502 Bad Gateway", "");
            return;
        }
        try (Socket upstream = new Socket(target.getAddress(), target.getPort())) {
            String origin =
                    parts[0] + " " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
                            + " HTTP/1.1"
                            + head.substring(head.indexOf("\r\n"))
                                    .replaceAll("(?im)^(proxy-)?connection:.*\r\n", "")
                                    .replaceAll("(?im)^proxy-authorization:.*\r\n", "")
                                    .replaceFirst("\r\n\r\n$", "\r\nConnection: close\r\n\r\n");
            upstream.getOutputStream().write(origin.getBytes(StandardCharsets.ISO_8859_1));
            upstream.getOutputStream().flush();
            // the answer is read to the end (Connection: close), so the client gets it whole and then the end
            InputStream answer = upstream.getInputStream();
            byte[] buffer = new byte[16 * 1024];
            for (int n; (n = answer.read(buffer)) > 0; ) {
                record(buffer, n);
                out.write(buffer, 0, n);
            }
            out.flush();
        }
    }

    private void relay(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buffer)) > 0; ) {
                record(buffer, n);
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side went away: the tunnel ends
        } finally {
            try {
                to.close();
                from.close();
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void record(byte[] buffer, int n) {
        synchronized (relayed) {
            relayed.write(buffer, 0, n);
        }
    }

    private static void refuse(OutputStream out, String status, String headers) throws IOException {
        byte[] page = ("<html><body>" + status + "</body></html>").getBytes(StandardCharsets.US_ASCII);
        out.write(("HTTP/1.1 " + status + "\r\n" + headers + "Content-Type: text/html\r\nContent-Length: " + page.length
                        + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(page);
        out.flush();
    }

    private static Optional<String> header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return Optional.of(line.substring(colon + 1).trim());
            }
        }
        return Optional.empty();
    }

    /** A request head up to its blank line, as sent (ISO-8859-1); refused past 64 KiB. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before the end of the request head");
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > 64 * 1024) {
                throw new IOException("request head over 64 KiB");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
        workers.shutdownNow();
    }
}
