package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CertificateModeTest {

    static List<PolicyRule> webhookConfigurationRules(Rendered rendered) {
        return rendered.all(ClusterRole.class).stream()
                .flatMap(r -> r.getRules().stream())
                .filter(r -> r.getResources().contains("mutatingwebhookconfigurations"))
                .toList();
    }

    @Test
    void operatorModeLetsTheOperatorManageItsSecretAndCaBundle() {
        Rendered rendered = Chart.render();
        assertTrue(rendered.ofKind("Certificate").isEmpty());
        assertTrue(rendered.ofKind("Issuer").isEmpty());
        MutatingWebhookConfiguration configuration = rendered.one(MutatingWebhookConfiguration.class);
        assertTrue(
                configuration.getMetadata().getAnnotations().isEmpty(),
                "no cert-manager CA injection in operator mode");
        // the chart leaves caBundle out so upgrades never overwrite the operator's
        assertEquals(null, configuration.getWebhooks().get(0).getClientConfig().getCaBundle());

        List<PolicyRule> rules = webhookConfigurationRules(rendered);
        assertEquals(List.of("modproxy"), rules.get(0).getResourceNames());
        // list and watch: the operator watches it by name, to put back a caBundle a replacement dropped
        assertEquals(List.of("get", "list", "watch", "patch"), rules.get(0).getVerbs());
        Role role = rendered.named(Role.class, "modproxy-operator");
        // created once, then read by name and replaced on rotation: never listed, watched or patched
        assertEquals(
                List.of(List.of("create"), List.of("get", "update")),
                role.getRules().stream()
                        .filter(r -> r.getResources().contains("secrets"))
                        .map(PolicyRule::getVerbs)
                        .toList());
    }

    @Test
    void certManagerModeIssuesTheCertificateAndInjectsTheCa() {
        Rendered rendered = Chart.render(ValuesMatrix.CERT_MANAGER);

        GenericKubernetesResource issuer =
                (GenericKubernetesResource) rendered.ofKind("Issuer").get(0);
        assertEquals(Map.of(), issuer.get("spec", "selfSigned"));
        GenericKubernetesResource certificate =
                (GenericKubernetesResource) rendered.ofKind("Certificate").get(0);
        assertEquals("modproxy-webhook-tls", certificate.get("spec", "secretName"));
        assertEquals(issuer.getMetadata().getName(), certificate.get("spec", "issuerRef", "name"));
        List<String> dnsNames = certificate.get("spec", "dnsNames");
        assertTrue(dnsNames.contains("modproxy-webhook.modproxy-system.svc"), dnsNames.toString());

        MutatingWebhookConfiguration configuration = rendered.one(MutatingWebhookConfiguration.class);
        assertEquals(
                Chart.NAMESPACE + "/" + certificate.getMetadata().getName(),
                configuration.getMetadata().getAnnotations().get("cert-manager.io/inject-ca-from"));

        var pod = rendered.one(Deployment.class).getSpec().getTemplate().getSpec();
        Volume tls = pod.getVolumes().stream()
                .filter(v -> v.getSecret() != null)
                .findFirst()
                .orElseThrow();
        assertEquals("modproxy-webhook-tls", tls.getSecret().getSecretName());
        var mount = pod.getContainers().get(0).getVolumeMounts().stream()
                .filter(m -> m.getName().equals(tls.getName()))
                .findFirst()
                .orElseThrow();
        assertTrue(mount.getReadOnly());
        // the operator reads the certificate where the chart mounts it
        assertEquals(
                Optional.of(mount.getMountPath()),
                OperatorDeploymentTest.env(pod.getContainers().get(0), "MODPROXY_WEBHOOK_CERT_DIR"));
        assertEquals(
                Optional.of("cert-manager"),
                OperatorDeploymentTest.env(pod.getContainers().get(0), "MODPROXY_WEBHOOK_CERT_MODE"));

        // cert-manager writes the Secret and the caBundle: the operator needs neither
        assertTrue(rendered.all(Role.class).stream()
                .flatMap(r -> r.getRules().stream())
                .noneMatch(r -> r.getResources().contains("secrets")));
        assertEquals(List.of("get"), webhookConfigurationRules(rendered).get(0).getVerbs());
    }

    @Test
    void certManagerModeCanUseAnExistingClusterIssuer() {
        Rendered rendered = Chart.render(ValuesMatrix.CERT_MANAGER_CLUSTER_ISSUER);
        assertTrue(rendered.ofKind("Issuer").isEmpty(), "no self-signed Issuer when one is given");
        GenericKubernetesResource certificate =
                (GenericKubernetesResource) rendered.ofKind("Certificate").get(0);
        assertEquals("corp-ca", certificate.get("spec", "issuerRef", "name"));
        assertEquals("ClusterIssuer", certificate.get("spec", "issuerRef", "kind"));
    }

    /** cert-manager renews renewBefore ahead of the end: as long as the lifetime or longer, it would be due at once. */
    @Test
    void aRenewBeforeNotShorterThanTheDurationIsRefusedNamingBothAndAFit() {
        for (var values : List.of(
                Chart.values("webhook.certManager.renewBefore", "2160h"),
                Chart.values("webhook.certManager.renewBefore", "2200h"),
                // 1h30m is 90 minutes: units added up, not compared as text
                Chart.values("webhook.certManager.duration", "1h30m", "webhook.certManager.renewBefore", "90m"),
                Chart.values("webhook.certManager.duration", "1.5h", "webhook.certManager.renewBefore", "2h"))) {
            Map<String, Object> certManager = new LinkedHashMap<>(ValuesMatrix.CERT_MANAGER);
            certManager.putAll(values);
            IllegalStateException error = assertThrows(IllegalStateException.class, () -> Chart.template(certManager));
            String renewBefore = (String) values.get("webhook.certManager.renewBefore");
            String duration = (String) values.getOrDefault("webhook.certManager.duration", "2160h");
            assertTrue(
                    error.getMessage()
                            .contains("webhook.certManager.renewBefore (" + renewBefore
                                    + ") is not shorter than webhook.certManager.duration (" + duration + ")"),
                    error.getMessage());
            assertTrue(error.getMessage().contains("--set webhook.certManager.renewBefore="), error.getMessage());
        }
        // the suggestion is a third of the duration, which the chart then takes
        IllegalStateException error = assertThrows(
                IllegalStateException.class,
                () -> Chart.template(
                        Chart.values("webhook.certMode", "cert-manager", "webhook.certManager.renewBefore", "3000h")));
        assertTrue(error.getMessage().contains("renewBefore=720h0m0s (a third of the duration)"), error.getMessage());
        GenericKubernetesResource certificate = (GenericKubernetesResource) Chart.render(
                        Chart.values("webhook.certMode", "cert-manager", "webhook.certManager.renewBefore", "720h0m0s"))
                .ofKind("Certificate")
                .get(0);
        assertEquals("720h0m0s", certificate.get("spec", "renewBefore"));
    }

    @Test
    void aRenewBeforeShorterThanTheDurationRenders() {
        for (var values : List.of(
                Chart.values(),
                Chart.values("webhook.certManager.duration", "1h30m", "webhook.certManager.renewBefore", "89m59s"),
                Chart.values("webhook.certManager.duration", "24h", "webhook.certManager.renewBefore", "1.5h"))) {
            Map<String, Object> certManager = new LinkedHashMap<>(ValuesMatrix.CERT_MANAGER);
            certManager.putAll(values);
            GenericKubernetesResource certificate = (GenericKubernetesResource)
                    Chart.render(certManager).ofKind("Certificate").get(0);
            assertEquals(
                    values.getOrDefault("webhook.certManager.renewBefore", "360h"),
                    certificate.get("spec", "renewBefore"));
        }
        // in operator mode there is no Certificate, and the two values are not read
        assertTrue(Chart.render(Chart.values("webhook.certManager.renewBefore", "9000h"))
                .ofKind("Certificate")
                .isEmpty());
    }
}
