package dev.modproxy.proxy.metrics;

import static dev.modproxy.proxy.testing.FakeUpstream.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.upstream.CircuitBreaker;
import dev.modproxy.proxy.upstream.Upstream;
import dev.modproxy.proxy.upstream.UpstreamChain;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What modproxy_upstream_requests_seconds and modproxy_upstream_errors_total say against what the upstream saw: the
 * timer counts requests sent (the dashboard's "Upstream latency" divides its sum by its count), the error counter also
 * the requests the open circuit skipped.
 */
class UpstreamMetricsTest {

    @TempDir
    Path cacheDir;

    FakeUpstream upstream;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void requestsTheOpenCircuitSkippedAreErrorsButNeitherRequestsNorLatency() throws Exception {
        upstream.otherwise(status(503, "down for maintenance"));
        var options = ProxyUnderTest.options().breaker(2, Duration.ofMinutes(5)).registry(registry);
        try (ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir, options)) {
            for (int i = 0; i < 10; i++) {
                assertEquals(
                        502,
                        proxy.getText("/example.com/m" + i + "/@v/v1.0.0.info").statusCode());
            }

            assertEquals(2, upstream.totalHits(), "two distinct modules failing open the circuit");
            assertEquals(
                    upstream.totalHits(),
                    requestsTimed(),
                    "modproxy_upstream_requests_seconds_count is the requests the upstream got");
            assertEquals(
                    0,
                    registry.find("modproxy.upstream.requests")
                            .tag("outcome", "circuit_open")
                            .timers()
                            .size(),
                    "a request never sent has no latency: 0 s would pull the mean towards 0 in an outage");
            assertEquals(2, errors("error"));
            assertEquals(8, errors("circuit_open"), "skipped requests still show as errors");
        }
    }

    @Test
    void everyRequestSentIsTimedWhateverItsAnswer() throws Exception {
        Modules.publish(upstream, "example.com/ok", "v1.0.0");
        upstream.on("example.com/broken/@v/v1.0.0.info", status(500, "boom"));
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                upstream.url(), cacheDir, ProxyUnderTest.options().registry(registry))) {
            assertEquals(200, proxy.getText("/example.com/ok/@v/v1.0.0.info").statusCode());
            assertEquals(
                    404, proxy.getText("/example.com/absent/@v/v1.0.0.info").statusCode());
            assertEquals(
                    502, proxy.getText("/example.com/broken/@v/v1.0.0.info").statusCode());

            assertEquals(3, upstream.totalHits());
            assertEquals(3, requestsTimed());
            assertEquals(1, timed("ok"));
            assertEquals(1, timed("not_found"));
            assertEquals(1, timed("error"));
            assertEquals(1, errors("error"), "a 404 is an answer, not an error");
        }
    }

    @Test
    void aRequestTheProxyCancelledIsTimedButIsNoUpstreamError() {
        // a prefetch over the byte budget is stopped by the proxy: the upstream was answering, not failing
        ProxyMetrics metrics = new ProxyMetrics(registry);
        Upstream upstream = new Upstream(
                URI.create("http://127.0.0.1:1/"),
                HttpClient.newHttpClient(),
                Duration.ofSeconds(1),
                new CircuitBreaker(URI.create("http://127.0.0.1:1/"), 5, Duration.ofSeconds(30)));

        metrics.requestFinished(upstream, "cancelled", Duration.ofMillis(300).toNanos());
        metrics.requestFinished(upstream, "timeout", Duration.ofSeconds(1).toNanos());

        assertEquals(1, timed("cancelled"));
        assertEquals(1, timed("timeout"));
        assertEquals(1, errors("timeout"));
        assertEquals(
                0,
                registry.find("modproxy.upstream.errors")
                        .tag("outcome", "cancelled")
                        .counters()
                        .size(),
                "the upstream did not fail: the dashboard's upstream errors would send an operator after it");
    }

    @Test
    void aFaultOfTheProxysOwnWhileTakingAnAnswerIsNoUpstreamError() throws Exception {
        Modules.publish(upstream, "example.com/ok", "v1.0.0");
        UpstreamChain chain = UpstreamChain.parse(
                upstream.url(),
                new UpstreamChain.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 5, Duration.ofSeconds(30)),
                new ProxyMetrics(registry));

        assertThrows(
                IllegalStateException.class,
                () -> chain.fetch(
                        "example.com/ok/@v/v1.0.0.info",
                        response -> {
                            throw new IllegalStateException("the staging disk went away"); // a local fault
                        },
                        () -> true));

        assertEquals(1, timed("local_failure"), "sent, so timed");
        assertEquals(
                0,
                registry.find("modproxy.upstream.errors").counters().size(),
                "the upstream answered: the dashboard's upstream errors would send an operator after it");
    }

    private long requestsTimed() {
        return registry.find("modproxy.upstream.requests").timers().stream()
                .mapToLong(Timer::count)
                .sum();
    }

    private long timed(String outcome) {
        return registry.get("modproxy.upstream.requests")
                .tag("outcome", outcome)
                .timer()
                .count();
    }

    private long errors(String outcome) {
        return (long) registry.get("modproxy.upstream.errors")
                .tag("outcome", outcome)
                .counter()
                .count();
    }
}
