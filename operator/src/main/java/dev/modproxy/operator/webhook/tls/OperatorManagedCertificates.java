package dev.modproxy.operator.webhook.tls;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Operator mode: keeps a CA and serving certificate in a Secret of the operator's namespace,
 * renews them before expiry, and writes the CA into the caBundle of every webhook of the
 * MutatingWebhookConfiguration. Several operator replicas converge on whatever the Secret holds.
 *
 * <p>It watches that configuration too ({@link #onCaBundleLost}): one replaced by {@code helm upgrade
 * --force-replace}, {@code kubectl replace} or a GitOps tool comes without caBundle, and the API server could not
 * call the webhook until the next check.
 *
 * <p>A CA renewed before it expires stays in the caBundle beside the new one until it does: the other
 * replicas serve certificates it signed until their next check (hourly), and the API server must
 * still trust them meanwhile.
 */
public final class OperatorManagedCertificates implements CertificateSource {

    static final String CA_KEY = "ca.key";
    /** The CA before the last renewal, trusted until it expires. */
    static final String PREVIOUS_CA = "previous-ca.crt";

    private static final Logger LOG = Logger.getLogger(OperatorManagedCertificates.class);
    private static final int ATTEMPTS = 3;

    private final KubernetesClient client;
    private final String namespace;
    private final String secretName;
    private final String webhookConfigurationName;
    private final List<String> dnsNames;
    private final Clock clock;
    private final CertificateIssuer issuer;
    /** The caBundle (base64) the Secret called for when this replica last published it; null before. */
    private volatile String expectedCaBundle;
    /**
     * The caBundles of another CA this replica wrote over. One seen again is put back by a writer that does not follow
     * the Secret (a second install sharing the configuration's name, a CA injector): answering each of its writes with
     * one of ours would be a write fight as fast as the API server allows, so that is left to the periodic check.
     */
    private final Set<String> overwrittenCaBundles = ConcurrentHashMap.newKeySet();

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

    /**
     * Synchronized: the watch's check and the periodic one can run at once, and two publishings from the same read of
     * the configuration made the second write fail with 409 Conflict.
     */
    @Override
    public synchronized WebhookCertificate current() {
        for (int attempt = 1; ; attempt++) {
            Stored stored = ensureSecret();
            publishCaBundle(stored.caBundle(clock.instant()));
            // another replica may have renewed between this one's read and its publishing, which then put back the
            // CA before theirs: publish again from what the Secret holds now
            if (attempt == ATTEMPTS || stored.resourceVersion().equals(secretVersion())) {
                return stored.certificate();
            }
        }
    }

    /**
     * Watches the MutatingWebhookConfiguration and calls {@code republish} when one of its webhooks does not carry the
     * caBundle this replica last published: it was replaced or emptied, or another replica renewed the CA (then
     * {@link #current()} reads the new one from the Secret and writes nothing). Every replica publishes what the
     * Secret holds, so they agree without a write fight; a writer that does not read it is answered once only
     * ({@link #overwrittenCaBundles}).
     */
    @Override
    public Watch onCaBundleLost(Runnable republish) {
        SharedIndexInformer<MutatingWebhookConfiguration> informer = client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                // a list and a watch selecting the name are what RBAC limited by resourceNames allows
                .withField("metadata.name", webhookConfigurationName)
                .runnableInformer(0)
                // the client's default stops the informer for good when its first list fails (after the client's
                // own retries of a 5xx) or its watch fails with anything but 410 Gone
                .exceptionHandler((started, failure) -> !refused(failure));
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(MutatingWebhookConfiguration configuration) {
                check(configuration);
            }

            @Override
            public void onUpdate(MutatingWebhookConfiguration before, MutatingWebhookConfiguration configuration) {
                check(configuration);
            }

            @Override
            public void onDelete(MutatingWebhookConfiguration configuration, boolean finalStateUnknown) {
                // nothing to publish into until it is created again, which onAdd sees
            }

            private void check(MutatingWebhookConfiguration configuration) {
                String expected = expectedCaBundle;
                if (expected != null && putBackByAnotherWriter(configuration, expected)) {
                    LOG.warnf(
                            "MutatingWebhookConfiguration %s again trusts a CA this operator replaced with the one of"
                                    + " Secret %s/%s: another writer sets its caBundle (a second install sharing the"
                                    + " name, a CA injector); the operator publishes its CA at the next certificate"
                                    + " check only",
                            webhookConfigurationName, namespace, secretName);
                } else if (expected == null || !carries(configuration, expected)) {
                    LOG.infof(
                            "MutatingWebhookConfiguration %s does not carry the webhook's CA (replaced or edited):"
                                    + " publishing it again",
                            webhookConfigurationName);
                    republish.run();
                }
            }
        });
        informer.start().whenComplete((done, failure) -> {
            if (failure != null) {
                LOG.errorf(
                        "cannot watch MutatingWebhookConfiguration %s; a caBundle it loses is put back at the next"
                                + " certificate check only: %s",
                        webhookConfigurationName, failure.getMessage());
            }
        });
        return informer::close;
    }

    private boolean putBackByAnotherWriter(MutatingWebhookConfiguration configuration, String expected) {
        return otherCaBundles(configuration, expected).anyMatch(overwrittenCaBundles::contains);
    }

    /** The configuration's caBundles that are set and are not {@code caBundle}. */
    private static Stream<String> otherCaBundles(MutatingWebhookConfiguration configuration, String caBundle) {
        return configuration.getWebhooks().stream()
                .map(webhook -> webhook.getClientConfig() == null
                        ? null
                        : webhook.getClientConfig().getCaBundle())
                .filter(bundle -> bundle != null && !bundle.isEmpty() && !bundle.equals(caBundle));
    }

    /** The watch refused (RBAC without list or watch, as before the chart allowed them): retrying cannot help. */
    private static boolean refused(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof KubernetesClientException refusal
                    && (refusal.getCode() == 401 || refusal.getCode() == 403)) {
                return true;
            }
        }
        return false;
    }

    private String secretVersion() {
        Secret stored =
                client.secrets().inNamespace(namespace).withName(secretName).get();
        return stored == null ? "" : stored.getMetadata().getResourceVersion();
    }

    /**
     * What the Secret holds: the certificates to serve, the CA they replaced (PEM, or null), and the Secret's
     * resourceVersion.
     */
    private record Stored(WebhookCertificate certificate, String previousCaPem, String resourceVersion) {

        /** The current CA, then the previous one while it is valid. */
        String caBundle(Instant now) {
            if (previousCaPem == null) {
                return certificate.caCertificatePem();
            }
            try {
                if (Pem.certificate(previousCaPem).getNotAfter().toInstant().isAfter(now)) {
                    String current = certificate.caCertificatePem();
                    return (current.endsWith("\n") ? current : current + "\n") + previousCaPem;
                }
            } catch (InvalidCertificateException e) {
                LOG.warnf(
                        "The previous webhook CA in the Secret is unusable (%s); only the current CA is trusted",
                        e.getMessage());
            }
            return certificate.caCertificatePem();
        }
    }

    /**
     * Runs a read-then-write again, up to {@link #ATTEMPTS} times in all, while its write fails with 409 Conflict:
     * another replica (or a person) wrote between its read and its write.
     */
    private static <T> T readingAgainOnConflict(Supplier<T> readThenWrite) {
        for (int attempt = 1; ; attempt++) {
            try {
                return readThenWrite.get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private Stored ensureSecret() {
        return readingAgainOnConflict(this::ensureSecretOnce);
    }

    private Stored ensureSecretOnce() {
        Secret stored =
                client.secrets().inNamespace(namespace).withName(secretName).get();
        WebhookCertificate existing = stored == null ? null : fromSecret(stored);
        String previousCa = stored == null ? null : optional(stored, PREVIOUS_CA);
        RenewalPolicy.Decision decision = RenewalPolicy.evaluate(existing, dnsNames, clock.instant());
        if (decision.action() == RenewalPolicy.Action.KEEP) {
            return new Stored(existing, previousCa, stored.getMetadata().getResourceVersion());
        }
        WebhookCertificate renewed = decision.action() == RenewalPolicy.Action.RENEW_SERVING
                ? issuer.renewServing(existing, dnsNames)
                : issuer.newAuthority(dnsNames);
        String kept = switch (decision.action()) {
            case RENEW_SERVING -> previousCa;
            case RENEW_AUTHORITY -> existing.caCertificatePem();
            default -> null;
        };
        // a 409 here is another replica writing first: readingAgainOnConflict reads theirs on the next pass
        String version = write(stored, renewed, kept);
        LOG.infof(
                "Webhook certificate in Secret %s/%s renewed (%s): %s",
                namespace, secretName, decision.reason(), renewed);
        return new Stored(renewed, kept, version);
    }

    /** Writes the Secret; its new resourceVersion. */
    private String write(Secret stored, WebhookCertificate certificate, String previousCaPem) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("tls.crt", encode(certificate.certificatePem()));
        data.put("tls.key", encode(certificate.keyPem()));
        data.put("ca.crt", encode(certificate.caCertificatePem()));
        data.put(CA_KEY, encode(certificate.caKeyPem()));
        if (previousCaPem != null) {
            data.put(PREVIOUS_CA, encode(previousCaPem));
        }
        Secret written;
        if (stored == null) {
            written = client.secrets()
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
            written = client.secrets().inNamespace(namespace).resource(updated).update();
        }
        return written.getMetadata().getResourceVersion();
    }

    private void publishCaBundle(String caPems) {
        String caBundle = encode(caPems);
        // before the write: the watch sees its own write's event as current
        expectedCaBundle = caBundle;
        readingAgainOnConflict(() -> {
            publishCaBundleOnce(caBundle);
            return null;
        });
    }

    private void publishCaBundleOnce(String caBundle) {
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
        if (carries(configuration, caBundle)) {
            return;
        }
        otherCaBundles(configuration, caBundle).forEach(overwrittenCaBundles::add);
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

    /** True when every webhook of the configuration trusts exactly {@code caBundle} (base64). */
    private static boolean carries(MutatingWebhookConfiguration configuration, String caBundle) {
        return configuration.getWebhooks().stream()
                .allMatch(webhook -> webhook.getClientConfig() != null
                        && caBundle.equals(webhook.getClientConfig().getCaBundle()));
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

    /** A key the Secret may lack, or hold as something that is not base64: null then. */
    private static String optional(Secret secret, String key) {
        String value = secret.getData() == null ? null : secret.getData().get(key);
        try {
            return value == null ? null : decode(value);
        } catch (IllegalArgumentException e) {
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
