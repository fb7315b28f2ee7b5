package dev.modproxy.proxy.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.BigModule;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.vertx.core.net.impl.ConnectionBase;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that goes away in the middle of an answer (a cancelled CI job, a go command interrupted, a cache in front
 * giving up) is an everyday event, not a server error: the proxy logs nothing above DEBUG for it, whichever way the
 * answer was being sent, so that a client cancelling downloads in a loop cannot fill the log with ERROR lines (Vert.x
 * logs an ERROR per broken connection that has no exception handler), and the next client is served as before.
 */
class ClientGoneMidAnswerTest {

    private static final String LARGE = "example.com/large"; // over 4 MiB: sent with sendfile
    private static final String MID = "example.com/mid"; // up to 4 MiB: sent from a mapping of its file
    private static final String COLD = "example.com/cold"; // not cached: streamed to its first client as it arrives

    @TempDir
    Path dir;

    FakeUpstream upstream;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    private byte[] publishZip(String module, int payloadBytes) {
        byte[] zip = BigModule.zip(module, "v1.0.0", payloadBytes);
        Modules.publish(upstream, module, "v1.0.0");
        upstream.on(module + "/@v/v1.0.0.zip", FakeUpstream.ok("application/zip", zip));
        return zip;
    }

    private static String zipPath(String module) {
        return "/" + module + "/@v/v1.0.0.zip";
    }

    /** Asks for path, reads about readBytes of the answer, then resets the connection (as a killed process does). */
    private static void readThenReset(int port, String path, int readBytes) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(16 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream()
                    .write(("GET " + path + " HTTP/1.1\r\nHost: proxy\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            int read = 0;
            while (read < readBytes) {
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                read += n;
            }
            assertTrue(read >= readBytes, path + ": the answer ended after " + read + " bytes");
            socket.setSoLinger(true, 0); // close with a reset: the proxy's next write to it fails
        }
    }

    @Test
    void aClientThatGoesAwayMidAnswerIsNoErrorInTheLog() throws Exception {
        byte[] large = publishZip(LARGE, 12 * 1024 * 1024);
        byte[] mid = publishZip(MID, 3 * 1024 * 1024);
        byte[] cold = publishZip(COLD, 12 * 1024 * 1024);
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), dir);
                CapturedLog vertx = CapturedLog.of(ConnectionBase.class, Level.ALL)) {
            assertArrayEquals(large, proxy.get(zipPath(LARGE)).body());
            assertArrayEquals(mid, proxy.get(zipPath(MID)).body());
            for (int i = 0; i < 3; i++) {
                readThenReset(proxy.port(), zipPath(LARGE), 256 * 1024);
                readThenReset(proxy.port(), zipPath(MID), 256 * 1024);
            }
            readThenReset(proxy.port(), zipPath(COLD), 256 * 1024);
            // the next clients are served whole: the cold zip too, fetched on for the cache after its client left
            assertArrayEquals(large, proxy.get(zipPath(LARGE)).body());
            assertArrayEquals(mid, proxy.get(zipPath(MID)).body());
            assertArrayEquals(cold, proxy.get(zipPath(COLD)).body());
            // a broken connection's exception reaches the log on the event loop, after the reset: none for 500 ms
            await().during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertEquals(
                            List.of(), vertx.warnings(), "a client leaving is not a server error; what Vert.x logged"));
        }
    }
}
