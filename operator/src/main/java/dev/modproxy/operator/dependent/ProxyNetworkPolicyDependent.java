package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.NetworkPolicySettings;
import dev.modproxy.operator.api.v1alpha1.ServiceSettings;
import dev.modproxy.operator.settings.ProxySettings;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Optional: any pod may reach the GOPROXY port (builds come from any namespace; anyone, when the cache's Service is a
 * NodePort or LoadBalancer for builds outside the cluster); only the operator's
 * pods and the Prometheus namespace reach the management port, so no build can start a warm-up.
 */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class ProxyNetworkPolicyDependent extends CacheOwnedDependent<NetworkPolicy> {

    static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
    /** Where kube-prometheus-stack is usually installed; chart value proxy.networkPolicy.prometheusNamespace. */
    static final String DEFAULT_PROMETHEUS_NAMESPACE = "monitoring";

    public ProxyNetworkPolicyDependent() {
        super(NetworkPolicy.class);
    }

    @Override
    protected NetworkPolicy desired(GoProxyCache cache, Context<GoProxyCache> context) {
        Config config = ConfigProvider.getConfig();
        return desiredPolicy(
                cache,
                config.getOptionalValue("modproxy.webhook.operator-namespace", String.class)
                        .orElse(""),
                config.getOptionalValue("modproxy.operator.network-policy.prometheus-namespace", String.class)
                        .orElse(DEFAULT_PROMETHEUS_NAMESPACE));
    }

    static NetworkPolicy desiredPolicy(
            GoProxyCache cache, String operatorNamespace, String defaultPrometheusNamespace) {
        NetworkPolicySettings settings = cache.getSpec().getNetworkPolicy();
        String prometheus = settings == null
                        || settings.getPrometheusNamespace() == null
                        || settings.getPrometheusNamespace().isBlank()
                ? defaultPrometheusNamespace
                : settings.getPrometheusNamespace();
        // without a known namespace (operator run outside the cluster) the operator's own namespace is the cache's
        String operator = operatorNamespace == null || operatorNamespace.isBlank()
                ? cache.getMetadata().getNamespace()
                : operatorNamespace;
        NetworkPolicyPeer anyPod = new NetworkPolicyPeerBuilder()
                .withNewNamespaceSelector()
                .endNamespaceSelector()
                .build();
        return new NetworkPolicyBuilder()
                .withMetadata(CacheNames.metadata(cache, CacheNames.networkPolicy(cache)))
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(CacheNames.selector(cache))
                .endPodSelector()
                .withPolicyTypes("Ingress")
                .addNewIngress()
                .addNewPort()
                .withProtocol("TCP")
                .withPort(new IntOrString(ProxySettings.HTTP_PORT))
                .endPort()
                // a NodePort or LoadBalancer Service serves builds outside the cluster (VMs), whose traffic
                // arrives from node or outside addresses, which no pod selector matches: no "from" at all then
                .withFrom(reachedFromOutside(cache) ? List.of() : List.of(anyPod))
                .endIngress()
                .addNewIngress()
                .addNewPort()
                .withProtocol("TCP")
                .withPort(new IntOrString(ProxySettings.MANAGEMENT_PORT))
                .endPort()
                .addNewFrom()
                .withNewNamespaceSelector()
                .withMatchLabels(Map.of(NAMESPACE_NAME_LABEL, operator))
                .endNamespaceSelector()
                .withNewPodSelector()
                .withMatchLabels(Map.of(CacheNames.NAME_LABEL, CacheNames.APP, CacheNames.COMPONENT_LABEL, "operator"))
                .endPodSelector()
                .endFrom()
                .addNewFrom()
                .withNewNamespaceSelector()
                .withMatchLabels(Map.of(NAMESPACE_NAME_LABEL, prometheus))
                .endNamespaceSelector()
                .endFrom()
                .endIngress()
                .endSpec()
                .build();
    }

    private static boolean reachedFromOutside(GoProxyCache cache) {
        ServiceSettings service = cache.getSpec().getService();
        String type = service == null ? null : service.getType();
        return "NodePort".equals(type) || "LoadBalancer".equals(type);
    }
}
