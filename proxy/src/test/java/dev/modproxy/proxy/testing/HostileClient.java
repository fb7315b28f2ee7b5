package dev.modproxy.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An adversarial client on a raw socket: sends exactly the bytes a test scripts (malformed request
 * lines, conflicting framing headers, nothing at all) and reports what the server did: the status
 * line it answered, and whether it closed the connection.
 */
public final class HostileClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;

    public HostileClient(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        in = socket.getInputStream();
    }

    public HostileClient send(String bytes) throws IOException {
        socket.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return this;
    }

    /** The status line of the next response, or null when the server closed the connection instead. */
    public String statusLine(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int c;
            try {
                c = in.read();
            } catch (java.net.SocketException e) {
                return null; // reset
            }
            if (c < 0) {
                return head.size() == 0
                        ? null
                        : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")[0];
            }
            head.write(c);
            matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1).split("\r\n")[0];
    }

    /** Everything the server sends until it closes the connection, which it must do within timeout. */
    public String untilClosed(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** Whether the server closes the connection within timeout (reading and dropping whatever it still sends). */
    public boolean closedWithin(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        byte[] buffer = new byte[8192];
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (in.read(buffer) < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true; // reset by the server
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
