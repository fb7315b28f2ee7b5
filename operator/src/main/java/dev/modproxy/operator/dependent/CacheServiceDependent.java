package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A Service a GoProxyCache controls. A port changed by hand on it ({@code kubectl edit}: 80 becomes 8080) is another
 * manager's list entry, keyed by port and protocol. Server-side apply cannot take it away: it adds the operator's
 * port beside it, and the API server refuses two ports named {@code http}, on every reconciliation. So a Service
 * whose ports are not the operator's gets the operator's ports back first, in one JSON patch, and is applied as
 * usual after that.
 */
public abstract class CacheServiceDependent extends CacheOwnedDependent<Service> {

    protected CacheServiceDependent() {
        super(Service.class);
    }

    @Override
    public Service update(Service actual, Service desired, GoProxyCache cache, Context<GoProxyCache> context) {
        putBack(actual, desired, context.getClient());
        return super.update(actual, desired, cache, context);
    }

    /** The ports to write back when {@code actual} has a port {@code desired} does not; empty when it has none. */
    static Optional<List<ServicePort>> putBack(Service actual, Service desired) {
        Set<String> wanted = desired.getSpec().getPorts().stream()
                .map(CacheServiceDependent::key)
                .collect(Collectors.toSet());
        List<ServicePort> current = actual.getSpec() == null || actual.getSpec().getPorts() == null
                ? List.of()
                : actual.getSpec().getPorts();
        if (current.stream().map(CacheServiceDependent::key).allMatch(wanted::contains)) {
            return Optional.empty();
        }
        // a NodePort Service keeps the node port it was given for a port it still has
        return Optional.of(desired.getSpec().getPorts().stream()
                .map(port -> current.stream()
                        .filter(c -> key(c).equals(key(port)) && c.getNodePort() != null)
                        .findFirst()
                        .map(c -> new ServicePortBuilder(port)
                                .withNodePort(c.getNodePort())
                                .build())
                        .orElse(port))
                .toList());
    }

    private static void putBack(Service actual, Service desired, KubernetesClient client) {
        // a JSON merge patch replaces the whole list, where a strategic one would merge it by port again
        putBack(actual, desired)
                .ifPresent(ports -> client.services()
                        .inNamespace(actual.getMetadata().getNamespace())
                        .withName(actual.getMetadata().getName())
                        .patch(
                                PatchContext.of(PatchType.JSON_MERGE),
                                client.getKubernetesSerialization().asJson(Map.of("spec", Map.of("ports", ports)))));
    }

    private static String key(ServicePort port) {
        return port.getPort() + "/" + Objects.requireNonNullElse(port.getProtocol(), "TCP");
    }
}
