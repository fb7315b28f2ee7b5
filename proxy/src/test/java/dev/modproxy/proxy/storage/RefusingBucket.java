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
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

/**
 * A bucket endpoint on loopback that refuses every upload part-way through its body, as a server does that sends
 * 100 Continue before it checks what it refuses: it reads the first 64 KiB, answers 403 AccessDenied and closes the
 * connection with the rest unread (the kernel then resets it, and the client's next write fails). The same happens,
 * with no 100 Continue, when the JDK's client gives up waiting for one after 5 seconds and sends the body anyway.
 * Deterministic: the client is still sending when the connection is reset, whatever the machine's load. Each
 * connection is served on a thread of its own, so a HeadBucket held unanswered does not hold the uploads.
 */
final class RefusingBucket implements AutoCloseable {

    /** One request as the server read it. */
    record Request(String method, String target) {}

    /** What a HeadBucket gets. */
    enum HeadBucket {
        /** 200 */
        ANSWERED,
        /** cut off unanswered, as by a server going down */
        CUT_OFF,
        /** read and never answered, as by a hung server: the connection stays open until {@link #close()} */
        HELD
    }

    private final String bucket;
    private final HeadBucket headBucket;
    private final Duration headBucketLatency;
    /** Uploads refused together: each waits, its first 64 KiB read, until this many are waiting. */
    private final CyclicBarrier refusedTogether;

    private final ServerSocket server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closed = new CountDownLatch(1);

    /**
     * Other calls get a 404 without a body (a HEAD's "no such key").
     *
     * @param answersHeadBucket HeadBucket gets 200; when false it is cut off unanswered, as by a server going down
     */
    RefusingBucket(String bucket, boolean answersHeadBucket) throws IOException {
        this(bucket, answersHeadBucket ? HeadBucket.ANSWERED : HeadBucket.CUT_OFF, Duration.ZERO, 1);
    }

    /**
     * @param headBucketLatency how long a HeadBucket's answer takes, as from a bucket that far away
     * @param refusedTogether how many uploads are refused at the same moment, as a burst of them is
     */
    RefusingBucket(String bucket, HeadBucket headBucket, Duration headBucketLatency, int refusedTogether)
            throws IOException {
        this.bucket = bucket;
        this.headBucket = headBucket;
        this.headBucketLatency = headBucketLatency;
        this.refusedTogether = new CyclicBarrier(refusedTogether);
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

    long headBuckets() {
        return requests.stream()
                .filter(r -> r.equals(new Request("HEAD", "/" + bucket)))
                .count();
    }

    private void serve() {
        while (!server.isClosed()) {
            Socket accepted;
            try {
                accepted = server.accept();
            } catch (IOException e) {
                continue; // closed: the loop ends
            }
            open.add(accepted);
            Thread connection = new Thread(() -> serve(accepted), "refusing-bucket-connection");
            connection.setDaemon(true);
            connection.start();
        }
    }

    private void serve(Socket accepted) {
        try (Socket socket = accepted) {
            answer(socket);
        } catch (IOException e) {
            // closed, or the client went away: other connections are served all the same
        } catch (InterruptedException | BrokenBarrierException e) {
            // closed while it waited
        } finally {
            open.remove(accepted);
        }
    }

    private void answer(Socket socket) throws IOException, InterruptedException, BrokenBarrierException {
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
            refusedTogether.await();
            byte[] error = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
                            + "<Message>Access Denied</Message><RequestId>refused</RequestId></Error>")
                    .getBytes(StandardCharsets.UTF_8);
            out.write(("HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: " + error.length
                            + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(error);
        } else if (requestLine[0].equals("HEAD") && requestLine[1].equals("/" + bucket)) {
            if (headBucket == HeadBucket.CUT_OFF) {
                return; // closed unanswered
            }
            if (headBucket == HeadBucket.HELD) {
                closed.await();
                return;
            }
            if (closed.await(headBucketLatency.toNanos(), TimeUnit.NANOSECONDS)) {
                return;
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
        closed.countDown();
        refusedTogether.reset(); // uploads still waiting for the others are cut off
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
