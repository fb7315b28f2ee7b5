package dev.modproxy.proxy.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.HostileClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Idle connections, and request heads sent too slowly, are closed, so such clients cannot pile up and use up the
 * server.
 */
@QuarkusTest
@TestProfile(ConnectionLimitsTest.SmallLimits.class)
@QuarkusTestResource(value = FakeUpstreamResource.class, restrictToAnnotatedClass = true)
class ConnectionLimitsTest {

    /** The production settings, scaled down so the test runs in seconds. */
    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.idle-timeout", "2s");
        }
    }

    @TestHTTPResource("/")
    URL base;

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheIdleTimeout() throws Exception {
        try (HostileClient silent = new HostileClient(base.getPort());
                HostileClient halfHeaders = new HostileClient(base.getPort())) {
            halfHeaders.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\n");
            assertTrue(silent.closedWithin(Duration.ofSeconds(10)), "a silent connection is closed");
            assertTrue(halfHeaders.closedWithin(Duration.ofSeconds(10)), "headers that never end are cut");
        }
    }

    /**
     * Over the HTTP codec's limits (Quarkus's: a request line of 4096 bytes, 20 KiB of headers) a client is told
     * why (414, 431) before its connection is closed, not dropped without a word; a single long header within them
     * (a large cookie or token) is served.
     */
    @Test
    void aRequestLineOrHeadersOverTheLimitsAreAnsweredThenClosed() throws Exception {
        try (HostileClient longLine = new HostileClient(base.getPort())) {
            longLine.send("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            String status = longLine.statusLine(Duration.ofSeconds(10));
            assertTrue(status != null && status.contains(" 414 "), "a 5000-byte request line: " + status);
            assertTrue(longLine.closedWithin(Duration.ofSeconds(10)), "closed after the 414");
        }
        try (HostileClient bigHead = new HostileClient(base.getPort())) {
            bigHead.send(
                    "GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(30_000) + "\r\n\r\n");
            String status = bigHead.statusLine(Duration.ofSeconds(10));
            assertTrue(status != null && status.contains(" 431 "), "30,000 bytes of headers: " + status);
            assertTrue(bigHead.closedWithin(Duration.ofSeconds(10)), "closed after the 431");
        }
        try (HostileClient longHeader = new HostileClient(base.getPort())) {
            longHeader.send("GET /q/ HTTP/1.1\r\nHost: x\r\nCookie: " + "c".repeat(9_000) + "\r\n\r\n");
            String status = longHeader.statusLine(Duration.ofSeconds(10));
            assertTrue(status != null && status.contains(" 404 "), "one 9,000-byte header: " + status);
        }
    }

    @Test
    void aRequestHeadDrippedFasterThanTheIdleTimeoutIsStillCutByIt() throws Exception {
        // slowloris: the bytes of a head that never ends do not count as reading (Vert.x's idle check sits behind
        // the HTTP parser), so the idle timeout is also the deadline for a request's line and headers
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger dripped = new AtomicInteger();
        try (HostileClient slow = new HostileClient(base.getPort())) {
            slow.send("GET /example.com/lib/@v/list HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            ticker.scheduleAtFixedRate(
                    () -> {
                        try {
                            slow.send("a");
                            dripped.incrementAndGet();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e); // closed: ends the dripping
                        }
                    },
                    200,
                    200,
                    TimeUnit.MILLISECONDS);

            assertTrue(slow.closedWithin(Duration.ofSeconds(10)), "a head dripped a byte every 200 ms is cut");
            assertTrue(dripped.get() >= 5, "bytes kept arriving well past the 2 s idle timeout: " + dripped.get());
        } finally {
            ticker.shutdownNow();
        }
    }
}
