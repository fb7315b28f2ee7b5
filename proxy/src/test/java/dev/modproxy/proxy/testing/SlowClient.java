package dev.modproxy.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** An HTTP/1.1 client that reads a response body in steps, so a test can act while a download is in flight. */
public final class SlowClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final long contentLength;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    public final int status;

    public SlowClient(int port, String path) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024); // keep the server's sender blocked on us
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        socket.setSoTimeout(30_000);
        socket.getOutputStream()
                .write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
        in = socket.getInputStream();
        String[] head = readHead().split("\r\n");
        status = Integer.parseInt(head[0].split(" ")[1]);
        long length = -1;
        for (String line : head) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        contentLength = length;
    }

    private String readHead() throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed inside the response head");
            }
            head.append((char) c);
        }
        return head.toString();
    }

    /** Reads the next {@code count} body bytes. */
    public void read(int count) throws IOException {
        byte[] buffer = new byte[8192];
        int left = count;
        while (left > 0) {
            int n = in.read(buffer, 0, Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("body ended after " + body.size() + " bytes");
            }
            body.write(buffer, 0, n);
            left -= n;
        }
    }

    /** Reads the rest of the body (up to Content-Length) and returns all of it. */
    public byte[] readRest() throws IOException {
        read((int) (contentLength - body.size()));
        return body.toByteArray();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
