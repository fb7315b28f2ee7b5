package dev.modproxy.proxy.storage;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A bucket endpoint on loopback that refuses every upload part-way through its body, as a server does that sends
 * 100 Continue before it checks what it refuses: it reads the first 64 KiB, answers 403 AccessDenied and closes the
 * connection with the rest unread (the kernel then resets it, and the client's next write fails). The same happens,
 * with no 100 Continue, when the JDK's client gives up waiting for one after 5 seconds and sends the body anyway.
 * Deterministic: the client is still sending when the connection is reset, whatever the machine's load.
 */
final class RefusingBucket implements AutoCloseable {

    /** One request as the server read it. */
    record Request(String method, String target) {}

    private final String bucket;
    private final boolean answersHeadBucket;
    private final ServerSocket server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    /**
     * Other calls get a 404 without a body (a HEAD's "no such key").
     *
     * @param answersHeadBucket HeadBucket gets 200; when false it is cut off unanswered, as by a server going down
     */
    RefusingBucket(String bucket, boolean answersHeadBucket) throws IOException {
        this.bucket = bucket;
        this.answersHeadBucket = answersHeadBucket;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::serve, "refusing-bucket");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    long uploads() {
        return requests.stream().filter(r -> r.method().equals("PUT")).count();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                answer(socket);
            } catch (IOException e) {
                // closed, or the client went away: the next connection is served all the same
            }
        }
    }

    private void answer(Socket socket) throws IOException {
        InputStream in = new BufferedInputStream(socket.getInputStream());
        String head = readHead(in);
        String[] requestLine = head.substring(0, head.indexOf('\r')).split(" ");
        requests.add(new Request(requestLine[0], requestLine[1]));
        OutputStream out = socket.getOutputStream();
        if (requestLine[0].equals("PUT")) {
            if (head.toLowerCase(Locale.ROOT).contains("\r\nexpect: 100-continue")) {
                out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            in.readNBytes(64 * 1024);
            byte[] error = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
                            + "<Message>Access Denied</Message><RequestId>refused</RequestId></Error>")
                    .getBytes(StandardCharsets.UTF_8);
            out.write(("HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: " + error.length
                            + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(error);
        } else if (requestLine[0].equals("HEAD") && requestLine[1].equals("/" + bucket)) {
            if (!answersHeadBucket) {
                return; // closed unanswered
            }
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
        } else {
            out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
        // closed with any body unread, as a server that has answered does
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        byte[] end = {'\r', '\n', '\r', '\n'};
        int matched = 0;
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before the request's headers ended");
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
