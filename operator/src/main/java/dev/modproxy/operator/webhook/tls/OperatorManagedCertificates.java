package dev.modproxy.operator.webhook.tls;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Operator mode: keeps a CA and serving certificate in a Secret of the operator's namespace,
 * renews them before expiry, and writes the CA into the caBundle of every webhook of the
 * MutatingWebhookConfiguration. Several operator replicas converge on whatever the Secret holds.
 */
public final class OperatorManagedCertificates implements CertificateSource {

    static final String CA_KEY = "ca.key";
    private static final Logger LOG = Logger.getLogger(OperatorManagedCertificates.class);
    private static final int ATTEMPTS = 3;

    private final KubernetesClient client;
    private final String namespace;
    private final String secretName;
    private final String webhookConfigurationName;
    private final List<String> dnsNames;
    private final Clock clock;
    private final CertificateIssuer issuer;

    public OperatorManagedCertificates(
            KubernetesClient client,
            String namespace,
            String secretName,
            String webhookConfigurationName,
            List<String> dnsNames,
            Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.secretName = secretName;
        this.webhookConfigurationName = webhookConfigurationName;
        this.dnsNames = List.copyOf(dnsNames);
        this.clock = clock;
        this.issuer = new CertificateIssuer(clock);
    }

    @Override
    public WebhookCertificate current() {
        WebhookCertificate certificate = ensureSecret();
        publishCaBundle(certificate.caCertificatePem());
        return certificate;
    }

    private WebhookCertificate ensureSecret() {
        KubernetesClientException lastConflict = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Secret stored =
                    client.secrets().inNamespace(namespace).withName(secretName).get();
            WebhookCertificate existing = stored == null ? null : fromSecret(stored);
            RenewalPolicy.Decision decision = RenewalPolicy.evaluate(existing, dnsNames, clock.instant());
            if (decision.action() == RenewalPolicy.Action.KEEP) {
                return existing;
            }
            WebhookCertificate renewed = decision.action() == RenewalPolicy.Action.RENEW_SERVING
                    ? issuer.renewServing(existing, dnsNames)
                    : issuer.newAuthority(dnsNames);
            try {
                write(stored, renewed);
                LOG.infof(
                        "Webhook certificate in Secret %s/%s renewed (%s): %s",
                        namespace, secretName, decision.reason(), renewed);
                return renewed;
            } catch (KubernetesClientException e) {
                // another replica wrote first: read theirs on the next pass
                if (e.getCode() != 409) {
                    throw e;
                }
                lastConflict = e;
            }
        }
        throw lastConflict;
    }

    private void write(Secret stored, WebhookCertificate certificate) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("tls.crt", encode(certificate.certificatePem()));
        data.put("tls.key", encode(certificate.keyPem()));
        data.put("ca.crt", encode(certificate.caCertificatePem()));
        data.put(CA_KEY, encode(certificate.caKeyPem()));
        if (stored == null) {
            client.secrets()
                    .inNamespace(namespace)
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName(secretName)
                            .withNamespace(namespace)
                            .addToLabels("app.kubernetes.io/name", "modproxy")
                            .addToLabels("app.kubernetes.io/component", "webhook")
                            .addToLabels("app.kubernetes.io/managed-by", "modproxy-operator")
                            .endMetadata()
                            .withType("kubernetes.io/tls")
                            .withData(data)
                            .build())
                    .create();
        } else {
            // resourceVersion stays set: a concurrent writer makes this fail with 409 instead of being lost
            Secret updated = new SecretBuilder(stored)
                    .withData(data)
                    .withStringData(null)
                    .build();
            client.secrets().inNamespace(namespace).resource(updated).update();
        }
    }

    private void publishCaBundle(String caPem) {
        String caBundle = encode(caPem);
        MutatingWebhookConfiguration configuration = client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName(webhookConfigurationName)
                .get();
        if (configuration == null) {
            LOG.warnf(
                    "MutatingWebhookConfiguration %s not found: the API server cannot call the webhook until it exists",
                    webhookConfigurationName);
            return;
        }
        boolean current = configuration.getWebhooks().stream()
                .allMatch(webhook -> webhook.getClientConfig() != null
                        && caBundle.equals(webhook.getClientConfig().getCaBundle()));
        if (current) {
            return;
        }
        client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName(webhookConfigurationName)
                .edit(found -> {
                    for (MutatingWebhook webhook : found.getWebhooks()) {
                        if (webhook.getClientConfig() != null) {
                            webhook.getClientConfig().setCaBundle(caBundle);
                        }
                    }
                    return found;
                });
        LOG.infof("caBundle of MutatingWebhookConfiguration %s updated", webhookConfigurationName);
    }

    private static WebhookCertificate fromSecret(Secret secret) {
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        try {
            return new WebhookCertificate(
                    decode(data.get("ca.crt")),
                    decode(data.get(CA_KEY)),
                    decode(data.get("tls.crt")),
                    decode(data.get("tls.key")));
        } catch (RuntimeException e) {
            LOG.warnf(
                    "Secret %s/%s does not hold usable webhook certificates; creating new ones",
                    secret.getMetadata().getNamespace(), secret.getMetadata().getName());
            return null;
        }
    }

    private static String encode(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    private static String decode(String base64) {
        if (base64 == null) {
            throw new InvalidCertificateException("missing key in Secret");
        }
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
    }
}
