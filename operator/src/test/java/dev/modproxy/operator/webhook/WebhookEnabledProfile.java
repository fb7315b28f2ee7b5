package dev.modproxy.operator.webhook;

import dev.modproxy.operator.cluster.TestRun;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.time.Duration;
import java.util.Map;

/**
 * Runs the application with the webhook on (it is off in other tests), in a namespace and with a
 * MutatingWebhookConfiguration of this test run's own (on a real cluster, never the chart's).
 * The reconciler stays off: these tests set cache status themselves, as a reconciled cache would have it.
 */
public class WebhookEnabledProfile implements QuarkusTestProfile {

    static final String OPERATOR_NAMESPACE = TestRun.name("modproxy-system");
    static final String CONFIGURATION = TestRun.name("modproxy");
    static final String SERVICE_HOST = "modproxy-webhook." + OPERATOR_NAMESPACE + ".svc";
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "modproxy.webhook.enabled",
                "true",
                "modproxy.webhook.operator-namespace",
                OPERATOR_NAMESPACE,
                "modproxy.webhook.config",
                CONFIGURATION,
                "modproxy.webhook.cert-retry-interval",
                "200ms",
                "modproxy.webhook.idle-timeout",
                IDLE_TIMEOUT.toMillis() + "ms",
                "quarkus.operator-sdk.start-operator",
                "false");
    }
}
