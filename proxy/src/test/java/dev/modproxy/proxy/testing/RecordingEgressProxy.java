package dev.modproxy.proxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A corporate egress proxy on loopback that records the request line of everything sent through it. Plain-HTTP
 * requests (absolute-form "GET http://host:port/path") are forwarded to 127.0.0.1 on the named port, whatever the
 * host, so upstream names need not resolve; CONNECT tunnels are refused with 403, as a proxy that does not allow
 * the target would, after being recorded. One {@link #startDemandingALogin() demanding a login} answers every request,
 * CONNECT or not, with 407 and a Basic challenge, as a corporate proxy does to a client that sends no
 * Proxy-Authorization.
 */
public final class RecordingEgressProxy implements AutoCloseable {

    private final ServerSocket server;
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private final boolean demandsLogin;

    private RecordingEgressProxy(boolean demandsLogin) throws IOException {
        this.demandsLogin = demandsLogin;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::serve, "recording-egress-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    public static RecordingEgressProxy start() throws IOException {
        return new RecordingEgressProxy(false);
    }

    /** A proxy that records each request line and answers it 407 Proxy Authentication Required. */
    public static RecordingEgressProxy startDemandingALogin() throws IOException {
        return new RecordingEgressProxy(true);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public List<String> requestLines() {
        return List.copyOf(requestLines);
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket client = server.accept()) {
                handle(client);
            } catch (IOException e) {
                // closed, or a client that went away: the next one is served
            }
        }
    }

    private void handle(Socket client) throws IOException {
        InputStream in = client.getInputStream();
        String head = TunnellingEgressProxy.readHead(in);
        String requestLine = head.substring(0, head.indexOf("\r\n"));
        requestLines.add(requestLine);
        OutputStream out = client.getOutputStream();
        String[] parts = requestLine.split(" ");
        if (demandsLogin) {
            byte[] page = "<html><body>Proxy login required</body></html>".getBytes(StandardCharsets.US_ASCII);
            out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n"
                            + "Content-Type: text/html\r\nContent-Length: " + page.length
                            + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(page);
            return;
        }
        if (parts[0].equals("CONNECT")) {
            out.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return;
        }
        URI target = URI.create(parts[1]);
        try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target.getPort())) {
            String origin = parts[0] + " " + target.getRawPath() + " HTTP/1.1"
                    + head.substring(head.indexOf("\r\n"))
                            .replaceAll("(?im)^connection:.*\r\n", "")
                            .replaceFirst("\r\n\r\n$", "\r\nConnection: close\r\n\r\n");
            upstream.getOutputStream().write(origin.getBytes(StandardCharsets.ISO_8859_1));
            upstream.getOutputStream().flush();
            upstream.getInputStream().transferTo(out);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
