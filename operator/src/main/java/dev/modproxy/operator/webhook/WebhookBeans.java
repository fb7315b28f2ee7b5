package dev.modproxy.operator.webhook;

import dev.modproxy.operator.webhook.tls.CertificateSource;
import dev.modproxy.operator.webhook.tls.MountedCertificates;
import dev.modproxy.operator.webhook.tls.OperatorManagedCertificates;
import dev.modproxy.operator.webhook.tls.ServiceDnsNames;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Wires the webhook's parts from {@link WebhookConfig}. */
@ApplicationScoped
public class WebhookBeans {

    @Produces
    @ApplicationScoped
    KubernetesCacheDirectory cacheDirectory(KubernetesClient client, WebhookConfig config, InjectionMetrics metrics) {
        return new KubernetesCacheDirectory(
                client, watchedNamespaces(client, config), metrics::liveRead, System::nanoTime);
    }

    @Produces
    @Singleton
    InjectionMetrics metrics(MeterRegistry registry) {
        return new InjectionMetrics(registry);
    }

    /** The reconciler's namespaces, including the JOSDK keywords its setting accepts. */
    static List<String> watchedNamespaces(KubernetesClient client, WebhookConfig config) {
        List<String> configured = config.watchedNamespaces().orElse(List.of());
        if (configured.contains("JOSDK_ALL_NAMESPACES")) {
            return List.of();
        }
        return configured.stream()
                .map(ns -> "JOSDK_WATCH_CURRENT".equals(ns) ? operatorNamespace(client, config) : ns)
                .distinct()
                .toList();
    }

    void closeDirectory(@Disposes KubernetesCacheDirectory directory) {
        directory.close();
    }

    /**
     * Made with the webhook's server at start, not on the first review (as a proxied bean was): that review no longer
     * waits for it, and {@code modproxy_webhook_*} are there, at 0, before any pod is seen.
     */
    @Produces
    @Singleton
    AdmissionReviewHandler handler(
            KubernetesCacheDirectory directory,
            InjectionMetrics metrics,
            KubernetesClient client,
            WebhookConfig config) {
        Set<String> excluded = new LinkedHashSet<>(Set.of("kube-system"));
        excluded.add(operatorNamespace(client, config));
        return new AdmissionReviewHandler(
                new PodMutator(directory, excluded), new PodMutator(directory.live(), excluded), metrics);
    }

    @Produces
    @ApplicationScoped
    CertificateSource certificates(KubernetesClient client, WebhookConfig config) {
        if (config.certMode() == WebhookConfig.CertMode.CERT_MANAGER) {
            return new MountedCertificates(config.certDir());
        }
        String namespace = operatorNamespace(client, config);
        List<String> names = new java.util.ArrayList<>(ServiceDnsNames.of(config.service(), namespace));
        config.extraNames().ifPresent(names::addAll);
        return new OperatorManagedCertificates(
                client, namespace, config.secret(), config.config(), names, Clock.systemUTC());
    }

    static String operatorNamespace(KubernetesClient client, WebhookConfig config) {
        // outside a cluster (local runs) the kubeconfig's namespace stands in for the downward API value
        return config.operatorNamespace().orElse(client.getNamespace() == null ? "default" : client.getNamespace());
    }
}
