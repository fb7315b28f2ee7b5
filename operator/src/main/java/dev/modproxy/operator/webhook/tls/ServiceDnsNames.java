package dev.modproxy.operator.webhook.tls;

import java.util.List;

/** The names the API server may use to reach the webhook Service: all go into the certificate. */
public final class ServiceDnsNames {

    private ServiceDnsNames() {}

    public static List<String> of(String service, String namespace) {
        return List.of(
                service,
                service + "." + namespace,
                service + "." + namespace + ".svc",
                service + "." + namespace + ".svc.cluster.local");
    }
}
