package dev.modproxy.operator.webhook.tls;

import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.NAMES;
import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.NOW;
import static dev.modproxy.operator.webhook.tls.CertificateIssuerTest.issuerAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Secret and the caBundle as several operator replicas see them through a CA renewal: the replica that
 * renews serves the new CA's certificate at once, the others keep serving the old CA's until their next hourly
 * check, so the API server must trust both until the old CA expires.
 */
@EnableKubernetesMockClient(crud = true)
class OperatorManagedCertificatesTest {

    static final String NAMESPACE = "modproxy-system";
    static final String SECRET = "modproxy-webhook-tls";
    static final String CONFIGURATION = "modproxy";

    KubernetesClient client;
    KubernetesMockServer server;

    @BeforeEach
    void webhookConfigurationWithTwoEntries() {
        createWebhookConfiguration();
    }

    /** The chart's configuration as Helm or kubectl create it: no caBundle. */
    private void createWebhookConfiguration() {
        client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .resource(new MutatingWebhookConfigurationBuilder()
                        .withNewMetadata()
                        .withName(CONFIGURATION)
                        .endMetadata()
                        .withWebhooks(entry("namespace.pods.modproxy.dev"), entry("label.pods.modproxy.dev"))
                        .build())
                .create();
    }

    /** An entry calling the webhook's Service, as the chart's two do. */
    private static MutatingWebhook entry(String name) {
        return new MutatingWebhookBuilder()
                .withName(name)
                .withNewClientConfig()
                .withNewService()
                .withName("modproxy-webhook")
                .withNamespace(NAMESPACE)
                .endService()
                .endClientConfig()
                .build();
    }

    @Test
    void aCaRenewedBeforeItExpiresStaysTrustedBesideTheNewOneUntilItDoes() throws Exception {
        // a CA 60 days from expiry, and a serving certificate it signed, as another replica still serves it
        WebhookCertificate old =
                issuerAt(NOW.minus(Duration.ofDays(5 * 365 - 60))).newAuthority(NAMES);
        store(old);
        Instant oldCaExpires = old.caCertificate().getNotAfter().toInstant();

        WebhookCertificate renewed = at(NOW).current();

        assertThat(renewed.caCertificatePem()).isNotEqualTo(old.caCertificatePem());
        assertThat(caBundles())
                .as("the new CA first, the old one beside it")
                .allSatisfy(bundle -> assertThat(bundle).containsExactly(renewed.caCertificate(), old.caCertificate()));
        assertThat(trusted(old.certificate()))
                .as("the other replicas' certificates pass")
                .isTrue();
        assertThat(trusted(renewed.certificate())).isTrue();

        // a serving certificate renewed meanwhile (here: one that no longer matches its key) keeps the old CA trusted
        Secret secret = secret();
        client.resource(new SecretBuilder(secret)
                        .addToData(
                                "tls.key",
                                base64(issuerAt(NOW).newAuthority(NAMES).keyPem()))
                        .build())
                .update();
        WebhookCertificate reissued = at(NOW.plus(Duration.ofDays(1))).current();
        assertThat(reissued.certificatePem()).isNotEqualTo(renewed.certificatePem());
        assertThat(reissued.caCertificatePem()).isEqualTo(renewed.caCertificatePem());
        assertThat(caBundles())
                .allSatisfy(bundle -> assertThat(bundle).containsExactly(renewed.caCertificate(), old.caCertificate()));

        // once the old CA has expired, nothing it signed can be served: it leaves the caBundle
        at(oldCaExpires.plus(Duration.ofHours(1))).current();
        assertThat(caBundles()).allSatisfy(bundle -> assertThat(bundle).containsExactly(renewed.caCertificate()));
        assertThat(trusted(old.certificate())).isFalse();
    }

    /** Deleting the Secret is how a CA thought compromised is replaced: the old one must not stay trusted. */
    @Test
    void aCaMadeBecauseNothingUsableWasStoredIsTrustedAlone() throws Exception {
        WebhookCertificate first = at(NOW).current();
        assertThat(caBundles()).allSatisfy(bundle -> assertThat(bundle).containsExactly(first.caCertificate()));

        client.secrets().inNamespace(NAMESPACE).withName(SECRET).delete();
        WebhookCertificate second = at(NOW.plus(Duration.ofDays(1))).current();

        assertThat(second.caCertificatePem()).isNotEqualTo(first.caCertificatePem());
        assertThat(caBundles()).allSatisfy(bundle -> assertThat(bundle).containsExactly(second.caCertificate()));
        assertThat(secret().getData()).doesNotContainKey(OperatorManagedCertificates.PREVIOUS_CA);
    }

    /**
     * Two replicas at once: this one read the Secret just before the other replaced the CA, and publishes after the
     * other did. It must not put back the CA it read: it checks the Secret again and publishes what it holds now.
     */
    @Test
    void aReplicaThatReadTheSecretJustBeforeAnotherReplacedTheCaPublishesTheNewOne() throws Exception {
        at(NOW).current();
        Secret stale = secret();
        client.secrets().inNamespace(NAMESPACE).withName(SECRET).delete();
        WebhookCertificate theirs = at(NOW).current();
        server.expect()
                .get()
                .withPath("/api/v1/namespaces/" + NAMESPACE + "/secrets/" + SECRET)
                .andReturn(200, stale)
                .once();

        WebhookCertificate served = at(NOW.plus(Duration.ofHours(1))).current();

        assertThat(caBundles()).allSatisfy(bundle -> assertThat(bundle).containsExactly(theirs.caCertificate()));
        assertThat(served.caCertificatePem()).isEqualTo(theirs.caCertificatePem());
    }

    /**
     * A configuration deleted and created again without caBundle ({@code helm upgrade --force-replace}, {@code kubectl
     * replace}, a GitOps tool), or edited to trust another CA, trusts the webhook's CA again at once: without the
     * watch, not before the next hourly check.
     */
    @Test
    void aConfigurationThatLosesTheCaBundleGetsItBackWithoutWaitingForTheNextCheck() throws Exception {
        OperatorManagedCertificates certificates = at(NOW);
        WebhookCertificate served = certificates.current();

        try (CertificateSource.Watch watch = certificates.onCaBundleLost(certificates::current)) {
            client.admissionRegistration()
                    .v1()
                    .mutatingWebhookConfigurations()
                    .withName(CONFIGURATION)
                    .delete();
            createWebhookConfiguration();
            await("the caBundle published into the re-created configuration")
                    .atMost(Duration.ofSeconds(10))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(caBundles())
                            .allSatisfy(bundle -> assertThat(bundle).containsExactly(served.caCertificate())));

            WebhookCertificate foreign = issuerAt(NOW).newAuthority(NAMES);
            client.admissionRegistration()
                    .v1()
                    .mutatingWebhookConfigurations()
                    .withName(CONFIGURATION)
                    .edit(configuration -> {
                        configuration
                                .getWebhooks()
                                .get(1)
                                .getClientConfig()
                                .setCaBundle(base64(foreign.caCertificatePem()));
                        return configuration;
                    });
            await("the webhook's CA back in place of another")
                    .atMost(Duration.ofSeconds(10))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(caBundles())
                            .allSatisfy(bundle -> assertThat(bundle).containsExactly(served.caCertificate())));
        }
    }

    /**
     * Two installs whose configurations share a name by mistake, each with its Secret: each one's watch saw the
     * other's CA as lost and published its own again, a write fight as fast as the API server answered. Each now puts
     * its CA back over the other's once, and leaves the rest to its periodic check.
     */
    @Test
    void twoInstallsSharingTheConfigurationDoNotFightOverItsCaBundle() throws Exception {
        OperatorManagedCertificates first = at(NOW);
        OperatorManagedCertificates second = new OperatorManagedCertificates(
                client, "other-system", SECRET, CONFIGURATION, NAMES, Clock.fixed(NOW, ZoneOffset.UTC));
        first.current();
        second.current();

        try (CertificateSource.Watch firsts = first.onCaBundleLost(first::current);
                CertificateSource.Watch seconds = second.onCaBundleLost(second::current)) {
            AtomicReference<String> seen = new AtomicReference<>();
            await("the configuration left alone")
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .during(Duration.ofSeconds(1))
                    .until(() -> {
                        String version = client.admissionRegistration()
                                .v1()
                                .mutatingWebhookConfigurations()
                                .withName(CONFIGURATION)
                                .get()
                                .getMetadata()
                                .getResourceVersion();
                        return version.equals(seen.getAndSet(version));
                    });
        }
    }

    /**
     * The first list of the watch failing after the client's own retries (the API server out longer than they last
     * as the operator starts) is tried again: the client's informer gave up for good, and the caBundle was put back at
     * the next hourly check only.
     */
    @Test
    void aWatchWhoseFirstListFailsIsTriedAgain() throws Exception {
        server.expect()
                .get()
                .withPath("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?fieldSelector="
                        + "metadata.name%3Dmodproxy&resourceVersion=0")
                .andReturn(503, "the API server is starting")
                .once();
        // the client retries a 503 itself some times before the informer sees it fail: this one at once
        try (KubernetesClient impatient = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration())
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build()) {
            OperatorManagedCertificates certificates = new OperatorManagedCertificates(
                    impatient, NAMESPACE, SECRET, CONFIGURATION, NAMES, Clock.fixed(NOW, ZoneOffset.UTC));
            WebhookCertificate served = certificates.current();

            try (CertificateSource.Watch watch = certificates.onCaBundleLost(certificates::current)) {
                client.admissionRegistration()
                        .v1()
                        .mutatingWebhookConfigurations()
                        .withName(CONFIGURATION)
                        .delete();
                createWebhookConfiguration();
                await("the caBundle published into the re-created configuration")
                        .atMost(Duration.ofSeconds(10))
                        .ignoreExceptions()
                        .untilAsserted(() -> assertThat(caBundles())
                                .allSatisfy(bundle -> assertThat(bundle).containsExactly(served.caCertificate())));
            }
        }
    }

    /** A previous CA that is not a certificate (a hand edit) is left out, and the current one still published. */
    @Test
    void anUnreadablePreviousCaIsLeftOutOfTheBundle() throws Exception {
        WebhookCertificate current = at(NOW).current();
        client.resource(new SecretBuilder(secret())
                        .addToData(OperatorManagedCertificates.PREVIOUS_CA, base64("not a certificate"))
                        .build())
                .update();

        assertThat(at(NOW.plus(Duration.ofHours(1))).current().caCertificatePem())
                .isEqualTo(current.caCertificatePem());
        assertThat(caBundles()).allSatisfy(bundle -> assertThat(bundle).containsExactly(current.caCertificate()));
    }

    /**
     * The watch's check and the periodic one can run at once in one operator (and a test's own call beside them): both
     * read the configuration without its CA and wrote it, and the second write failed with 409 Conflict (a CI run of
     * WebhookOverHttpsTest); so can two replicas' checks. Neither may fail on the other's write.
     */
    @Test
    void checksRunningAtOnceDoNotFailOnEachOthersWrite() throws Exception {
        OperatorManagedCertificates[] replicas = {at(NOW), at(NOW)};
        WebhookCertificate served = replicas[0].current();
        ExecutorService checks = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 10; round++) {
                // replaced without caBundle, as a force-replace leaves it
                client.admissionRegistration()
                        .v1()
                        .mutatingWebhookConfigurations()
                        .withName(CONFIGURATION)
                        .delete();
                createWebhookConfiguration();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<WebhookCertificate>> running = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    OperatorManagedCertificates replica = replicas[i % 2];
                    running.add(checks.submit(() -> {
                        start.await();
                        return replica.current();
                    }));
                }
                start.countDown();
                for (Future<WebhookCertificate> check : running) {
                    assertThat(check.get(30, TimeUnit.SECONDS)).isEqualTo(served);
                }
            }
        } finally {
            checks.shutdownNow();
        }
        assertThat(caBundles()).allSatisfy(bundle -> assertThat(bundle).containsExactly(served.caCertificate()));
    }

    private OperatorManagedCertificates at(Instant now) {
        return new OperatorManagedCertificates(
                client, NAMESPACE, SECRET, CONFIGURATION, NAMES, Clock.fixed(now, ZoneOffset.UTC));
    }

    private void store(WebhookCertificate certificate) {
        client.secrets()
                .inNamespace(NAMESPACE)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(SECRET)
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withType("kubernetes.io/tls")
                        .addToData("tls.crt", base64(certificate.certificatePem()))
                        .addToData("tls.key", base64(certificate.keyPem()))
                        .addToData("ca.crt", base64(certificate.caCertificatePem()))
                        .addToData(OperatorManagedCertificates.CA_KEY, base64(certificate.caKeyPem()))
                        .build())
                .create();
    }

    private Secret secret() {
        return client.secrets().inNamespace(NAMESPACE).withName(SECRET).get();
    }

    /** Each webhook's caBundle, as the certificates the API server reads from it. */
    private List<List<X509Certificate>> caBundles() throws Exception {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        List<List<X509Certificate>> bundles = new java.util.ArrayList<>();
        for (var webhook : client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName(CONFIGURATION)
                .get()
                .getWebhooks()) {
            byte[] pem = Base64.getDecoder().decode(webhook.getClientConfig().getCaBundle());
            bundles.add(x509.generateCertificates(new ByteArrayInputStream(pem)).stream()
                    .map(X509Certificate.class::cast)
                    .toList());
        }
        assertThat(bundles).hasSize(2);
        return bundles;
    }

    /** Whether a certificate chains to one of the CAs of the first webhook's caBundle. */
    private boolean trusted(X509Certificate serving) throws Exception {
        for (X509Certificate ca : caBundles().get(0)) {
            try {
                serving.verify(ca.getPublicKey());
                return true;
            } catch (java.security.GeneralSecurityException e) {
                // signed by another CA of the bundle, or by none
            }
        }
        return false;
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }
}
