package dev.modproxy.proxy.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.HostileClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URL;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Idle connections are closed, so idle clients cannot pile up and use up the server. */
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
}
