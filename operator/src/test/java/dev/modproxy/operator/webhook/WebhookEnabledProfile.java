package dev.modproxy.operator.webhook;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Runs the application with the webhook on (it is off in other tests), in namespace modproxy-system.
 * The reconciler stays off: these tests set cache status themselves, as a reconciled cache would have it.
 */
public class WebhookEnabledProfile implements QuarkusTestProfile {

    static final String OPERATOR_NAMESPACE = "modproxy-system";
    static final String SERVICE_HOST = "modproxy-webhook." + OPERATOR_NAMESPACE + ".svc";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "modproxy.webhook.enabled", "true",
                "modproxy.webhook.operator-namespace", OPERATOR_NAMESPACE,
                "modproxy.webhook.cert-retry-interval", "200ms",
                "quarkus.operator-sdk.start-operator", "false");
    }
}
