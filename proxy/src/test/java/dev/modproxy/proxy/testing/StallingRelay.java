package dev.modproxy.proxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay in front of a server that forwards requests until {@code stallAfter} bytes have gone
 * towards the server, then holds the rest back: an upload frozen in the middle of its body.
 */
public final class StallingRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final URI target;
    private final long stallAfter;
    private final AtomicLong forwarded = new AtomicLong();
    private final CountDownLatch stalled = new CountDownLatch(1);
    private final ExecutorService pumps = Executors.newCachedThreadPool();

    public StallingRelay(URI target, long stallAfter) throws IOException {
        this.target = target;
        this.stallAfter = stallAfter;
        listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        pumps.execute(this::accept);
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    public CountDownLatch stalled() {
        return stalled;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(target.getHost(), target.getPort()));
                pumps.execute(() -> pump(client, server, true));
                pumps.execute(() -> pump(server, client, false));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean towardsServer) {
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (towardsServer && forwarded.addAndGet(n) > stallAfter) {
                    stalled.countDown();
                    in.transferTo(OutputStream.nullOutputStream()); // swallow the rest: the server waits forever
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // a side hung up
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        pumps.shutdownNow();
    }
}
