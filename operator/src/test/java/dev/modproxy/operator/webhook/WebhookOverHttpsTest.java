package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.admittedPod;
import static dev.modproxy.operator.webhook.AdmissionFixtures.env;
import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.response;
import static dev.modproxy.operator.webhook.AdmissionFixtures.review;
import static dev.modproxy.operator.webhook.WebhookEnabledProfile.CONFIGURATION;
import static dev.modproxy.operator.webhook.WebhookEnabledProfile.OPERATOR_NAMESPACE;
import static dev.modproxy.operator.webhook.WebhookEnabledProfile.SERVICE_HOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.cluster.ClusterUnderTest;
import dev.modproxy.operator.cluster.TestRun;
import dev.modproxy.operator.webhook.tls.CertificateIssuer;
import dev.modproxy.operator.webhook.tls.ServiceDnsNames;
import dev.modproxy.operator.webhook.tls.WebhookCertificate;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.impl.VertxInternal;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(WebhookEnabledProfile.class)
@QuarkusTestResource(ClusterUnderTest.class)
class WebhookOverHttpsTest {

    static final String SECRET = "modproxy-webhook-tls";
    // the fixtures' pods are created in "ci" and "web"; on a real cluster each run has namespaces of its own
    static final String CI = TestRun.name("ci");
    static final String WEB = TestRun.name("web");

    @Inject
    KubernetesClient client;

    @Inject
    WebhookServer server;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    String storedCa() {
        return decode(secret().getData().get("ca.crt"));
    }

    /** The operator's namespace, where the webhook keeps its certificate; a real API server needs it to exist. */
    @BeforeEach
    void operatorNamespace() {
        ensureNamespace(OPERATOR_NAMESPACE);
    }

    void ensureNamespace(String name) {
        if (client.namespaces().withName(name).get() == null) {
            client.namespaces().resource(TestRun.namespace(name)).create();
        }
    }

    /** A fixture's review as if its pod were created in {@code namespace}. */
    static byte[] reviewIn(String fixture, String namespace) {
        JsonObject review = AdmissionFixtures.json(review(fixture));
        JsonObject request = review.getJsonObject("request");
        JsonObject pod = request.getJsonObject("object");
        JsonObject metadata = Json.createObjectBuilder(pod.getJsonObject("metadata"))
                .add("namespace", namespace)
                .build();
        JsonObject moved = Json.createObjectBuilder(request)
                .add("namespace", namespace)
                .add("object", Json.createObjectBuilder(pod).add("metadata", metadata))
                .build();
        return Json.createObjectBuilder(review)
                .add("request", moved)
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    Secret secret() {
        return await().atMost(Duration.ofSeconds(60))
                .until(
                        () -> client.secrets()
                                .inNamespace(OPERATOR_NAMESPACE)
                                .withName(SECRET)
                                .get(),
                        s -> s != null);
    }

    WebhookClient.Answer post(String fixture) throws Exception {
        return post(review(fixture));
    }

    WebhookClient.Answer post(byte[] review) throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> server.port() > 0);
        return WebhookClient.post(vertx, server.port(), storedCa(), SERVICE_HOST, review);
    }

    byte[] postUntil(byte[] review, java.util.function.Predicate<byte[]> expected) {
        return await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> post(review).body(), expected);
    }

    void createCache(String namespace, String name, boolean ready, String url) {
        ensureNamespace(namespace);
        GoProxyCache cache = new GoProxyCache();
        cache.setMetadata(
                new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        spec.setUpstream("https://goproxy.cn,direct");
        spec.setPrivate(List.of("git.corp.example.com/*"));
        cache.setSpec(spec);
        GoProxyCache created = client.resource(cache).createOr(existing -> existing.update());
        setReady(created, ready, url);
    }

    void setReady(GoProxyCache cache, boolean ready, String url) {
        GoProxyCacheStatus status = new GoProxyCacheStatus();
        status.setUrl(url);
        CacheCondition condition = new CacheCondition(
                CacheCondition.READY,
                ready ? CacheCondition.TRUE : CacheCondition.FALSE,
                ready ? "Serving" : "NoReadyReplicas",
                "test");
        // every field the CRD requires of a condition: a real API server refuses the status without one
        condition.setLastTransitionTime(
                Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        status.setConditions(List.of(condition));
        cache.setStatus(status);
        client.resource(cache).updateStatus();
    }

    @Test
    void theOperatorIsReadyOnceItsWebhookListensWithTheCachesListedAndIsWarmedUp() {
        await().atMost(Duration.ofSeconds(60)).until(() -> server.port() > 0);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            HttpResponse<String> health = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .build()
                    .send(
                            HttpRequest.newBuilder(ready)
                                    .timeout(Duration.ofMinutes(1))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            // this profile runs no controllers, so the operator SDK's own check may be DOWN: read the webhook's
            JsonObject check = Json.createReader(new java.io.StringReader(health.body()))
                    .readObject()
                    .getJsonArray("checks")
                    .getValuesAs(JsonObject.class)
                    .stream()
                    .filter(c -> c.getString("name").equals(WebhookReadiness.NAME))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no webhook check in " + health.body()));
            assertThat(check.getString("status")).as(health.body()).isEqualTo("UP");
            assertThat(check.getJsonObject("data").getBoolean("listening")).isTrue();
            assertThat(check.getJsonObject("data").getBoolean("cachesAndNamespacesListed"))
                    .isTrue();
            assertThat(check.getJsonObject("data").getBoolean("warmedUp")).isTrue();
        });
    }

    @Test
    void apiServerStyleClientReachesTheWebhookWithTheGeneratedCertificateOnly() throws Exception {
        WebhookClient.Answer answer = post("unlabeled-pod.json");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(response(answer.body()).getBoolean("allowed")).isTrue();
        List<String> served = answer.servedCertificate().getSubjectAlternativeNames().stream()
                .map(san -> String.valueOf(san.get(1)))
                .toList();
        assertThat(served.containsAll(ServiceDnsNames.of("modproxy-webhook", OPERATOR_NAMESPACE)))
                .as(served.toString())
                .isTrue();
        // the same certificate does not pass for another host name, nor for a CA it does not chain to
        ExecutionException wrongHost = catchThrowableOfType(
                ExecutionException.class,
                () -> WebhookClient.post(
                        vertx, server.port(), storedCa(), "webhook.example.com", review("unlabeled-pod.json")));
        assertThat(wrongHost).as("refused for another host name").isNotNull();
        assertThat(causes(wrongHost).contains("No subject alternative DNS name matching webhook.example.com"))
                .as(causes(wrongHost))
                .isTrue();
        String strangerCa = new CertificateIssuer(Clock.systemUTC())
                .newAuthority(List.of("x"))
                .caCertificatePem();
        assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> WebhookClient.post(
                        vertx, server.port(), strangerCa, SERVICE_HOST, review("unlabeled-pod.json")));
    }

    @Test
    void onlyPostToMutatePodsIsServed() throws Exception {
        post("unlabeled-pod.json");
        WebhookClient.Answer get = WebhookClient.send(
                vertx, server.port(), storedCa(), SERVICE_HOST, HttpMethod.GET, WebhookServer.PATH, new byte[0]);
        WebhookClient.Answer elsewhere = WebhookClient.send(
                vertx,
                server.port(),
                storedCa(),
                SERVICE_HOST,
                HttpMethod.POST,
                "/validate",
                review("unlabeled-pod.json"));
        WebhookClient.Answer malformed =
                WebhookClient.post(vertx, server.port(), storedCa(), SERVICE_HOST, review("malformed.json"));

        assertThat(get.status()).isEqualTo(405);
        assertThat(elsewhere.status()).isEqualTo(404);
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(new String(malformed.body(), StandardCharsets.UTF_8)
                        .startsWith("malformed AdmissionReview: body is not JSON"))
                .isTrue();
    }

    /**
     * A client that completes the handshake and then sends nothing (any pod can reach the webhook's Service) gives the
     * connection up after the idle timeout instead of holding it, and its memory, for as long as it likes.
     */
    /**
     * The Kubernetes client reads its answers on the application's Vert.x event loops, and at start-up its first lists
     * held one for seconds; a review must not wait behind it (the API server gives up after 3 s and admits the pod
     * without GOPROXY). Here every one of those event loops is held while a review is sent.
     */
    @Test
    void aReviewIsAnsweredWhileTheApplicationsEventLoopsAreBusy() throws Exception {
        post("unlabeled-pod.json");
        SSLContext tls = trusting(storedCa());
        EventLoopGroup loops = ((VertxInternal) vertx).getEventLoopGroup();
        List<EventExecutor> held = new java.util.ArrayList<>();
        loops.forEach(held::add);
        CountDownLatch holding = new CountDownLatch(held.size());
        CountDownLatch release = new CountDownLatch(1);
        try {
            for (EventExecutor loop : held) {
                loop.execute(() -> {
                    holding.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();

            String answer = postOverSocket(tls, review("unlabeled-pod.json"), Duration.ofSeconds(2));

            assertThat(answer).startsWith("HTTP/1.1 200").contains("\"allowed\":true");
        } finally {
            release.countDown();
        }
    }

    static SSLContext trusting(String caPem) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        trusted.setCertificateEntry(
                "ca",
                CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        return tls;
    }

    /** The whole HTTP/1.1 answer to one POST of {@code review}, over a connection of its own, within {@code limit}. */
    String postOverSocket(SSLContext tls, byte[] review, Duration limit) throws IOException {
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) limit.toMillis());
            String head = "POST " + WebhookServer.PATH + " HTTP/1.1\r\nHost: " + SERVICE_HOST
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + review.length
                    + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(review);
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheIdleTimeout() throws Exception {
        post("unlabeled-pod.json");
        SSLContext tls = trusting(storedCa());

        try (SSLSocket idle = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            idle.startHandshake();
            idle.setSoTimeout(
                    (int) WebhookEnabledProfile.IDLE_TIMEOUT.multipliedBy(5).toMillis());
            long start = System.nanoTime();
            Throwable ended = catchThrowable(
                    () -> assertThat(idle.getInputStream().read()).isEqualTo(-1));
            Duration open = Duration.ofNanos(System.nanoTime() - start);

            // the end of the stream, or a reset the TLS layer reports: either way not the read's own timeout
            if (ended != null) {
                assertThat(ended)
                        .as("closed by the server")
                        .isInstanceOf(IOException.class)
                        .isNotInstanceOf(SocketTimeoutException.class);
            }
            assertThat(open).isGreaterThanOrEqualTo(WebhookEnabledProfile.IDLE_TIMEOUT.minusMillis(500));
        }
    }

    @Test
    void podLabeledTrueGetsTheOnlyCacheOfItsNamespaceAndTheFallbackOnceItIsNotReady() {
        createCache(CI, "gomod", true, "http://gomod.ci.svc.cluster.local:8080");
        byte[] taskRunPod = reviewIn("tekton-taskrun-pod.json", CI);

        byte[] injected = postUntil(taskRunPod, body -> !patch(body).isEmpty());
        JsonObject pod = admittedPod(taskRunPod, injected);
        assertThat(env(pod, "initContainers", "prepare"))
                .isEqualTo(Map.of(
                        "GOPROXY",
                        "http://gomod.ci.svc.cluster.local:8080|https://goproxy.cn,direct",
                        "GOPRIVATE",
                        "git.corp.example.com/*",
                        "GONOPROXY",
                        "git.corp.example.com/*",
                        "GONOSUMDB",
                        "git.corp.example.com/*"));

        setReady(
                client.resources(GoProxyCache.class)
                        .inNamespace(CI)
                        .withName("gomod")
                        .get(),
                false,
                "http://gomod.ci.svc.cluster.local:8080");

        byte[] fallback = postUntil(taskRunPod, body -> new String(body, StandardCharsets.UTF_8).contains("not Ready"));
        JsonObject fallbackPod = admittedPod(taskRunPod, fallback);
        assertThat(env(fallbackPod, "containers", "step-test").get("GOPROXY")).isEqualTo("https://goproxy.cn,direct");
        assertThat(fallbackPod
                        .getJsonObject("metadata")
                        .getJsonObject("annotations")
                        .getString("modproxy.dev/injected"))
                .isEqualTo("{\"cache\":\"" + CI + "/gomod\",\"outcome\":\"fallback-only\"}");
    }

    @Test
    void podNamingACacheThatDoesNotExistIsLeftUnchangedWithAWarning() throws Exception {
        byte[] body = post("jenkins-agent-pod.json").body();

        assertThat(patch(body).isEmpty()).isTrue();
        assertThat(response(body).getJsonArray("warnings").getString(0))
                .isEqualTo(
                        "modproxy: GoProxyCache jenkins-agents/gomod (from pod label modproxy.dev/inject) does not exist; "
                                + "pod left unchanged");
    }

    @Test
    void namespaceLabelOptsInUnlabeledPods() {
        createCache(WEB, "gomod", true, "http://gomod.web.svc.cluster.local:8080");
        client.namespaces()
                .withName(WEB)
                .edit(ns -> new NamespaceBuilder(ns)
                        .editMetadata()
                        .addToLabels("modproxy.dev/inject", "enabled")
                        .endMetadata()
                        .build());
        byte[] unlabeledPod = reviewIn("unlabeled-pod.json", WEB);

        byte[] body = postUntil(unlabeledPod, reply -> !patch(reply).isEmpty());

        assertThat(env(admittedPod(unlabeledPod, body), "containers", "nginx").get("GOPROXY"))
                .isEqualTo("http://gomod.web.svc.cluster.local:8080|https://goproxy.cn,direct");
    }

    @Test
    void caBundleOfEveryWebhookIsKeptCurrentAndCertificatesAreRotated() throws Exception {
        client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .resource(new MutatingWebhookConfigurationBuilder()
                        .withNewMetadata()
                        .withName(CONFIGURATION)
                        .withLabels(TestRun.labels())
                        .endMetadata()
                        // the chart's two entries: pods of labeled namespaces, labeled pods
                        .addNewWebhook()
                        .withName("namespace.pods.modproxy.dev")
                        .withAdmissionReviewVersions("v1")
                        .withSideEffects("None")
                        .withFailurePolicy("Ignore")
                        .withNewClientConfig()
                        .withNewService()
                        .withName("modproxy-webhook")
                        .withNamespace(OPERATOR_NAMESPACE)
                        .withPath(WebhookServer.PATH)
                        .endService()
                        .endClientConfig()
                        .endWebhook()
                        .addNewWebhook()
                        .withName("label.pods.modproxy.dev")
                        .withAdmissionReviewVersions("v1")
                        .withSideEffects("None")
                        .withFailurePolicy("Ignore")
                        .withNewClientConfig()
                        .withNewService()
                        .withName("modproxy-webhook")
                        .withNamespace(OPERATOR_NAMESPACE)
                        .withPath(WebhookServer.PATH)
                        .endService()
                        .endClientConfig()
                        .endWebhook()
                        .build())
                .createOr(existing -> existing.update());

        server.refreshCertificate().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        String ca = storedCa();
        assertThat(caBundles()).isEqualTo(List.of(base64(ca), base64(ca)));

        // a serving certificate 25 days from expiry is replaced under the same CA, without a restart
        Secret stored = secret();
        WebhookCertificate current = new WebhookCertificate(
                ca,
                decode(stored.getData().get("ca.key")),
                decode(stored.getData().get("tls.crt")),
                decode(stored.getData().get("tls.key")));
        WebhookCertificate expiring = new CertificateIssuer(
                        Clock.fixed(Instant.now().minus(Duration.ofDays(340)), ZoneOffset.UTC))
                .renewServing(current, ServiceDnsNames.of("modproxy-webhook", OPERATOR_NAMESPACE));
        client.resource(new SecretBuilder(stored)
                        .addToData("tls.crt", base64(expiring.certificatePem()))
                        .addToData("tls.key", base64(expiring.keyPem()))
                        .build())
                .update();
        server.refreshCertificate().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);

        assertThat(storedCa()).isEqualTo(ca);
        WebhookCertificate renewed =
                new WebhookCertificate(ca, null, decode(secret().getData().get("tls.crt")), "x");
        assertThat(renewed.certificate()
                        .getNotAfter()
                        .toInstant()
                        .isAfter(Instant.now().plus(Duration.ofDays(360))))
                .isTrue();
        assertThat(post("unlabeled-pod.json").servedCertificate().getSerialNumber())
                .isEqualTo(renewed.certificate().getSerialNumber());

        // a deleted Secret means a new CA, published to the API server before it is needed
        client.secrets().inNamespace(OPERATOR_NAMESPACE).withName(SECRET).delete();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> client.secrets()
                                .inNamespace(OPERATOR_NAMESPACE)
                                .withName(SECRET)
                                .get()
                        == null);
        server.refreshCertificate().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);

        String newCa = storedCa();
        assertThat(newCa).isNotEqualTo(ca);
        assertThat(caBundles()).isEqualTo(List.of(base64(newCa), base64(newCa)));
        assertThat(post("unlabeled-pod.json").status()).isEqualTo(200);
    }

    List<String> caBundles() {
        MutatingWebhookConfiguration configuration = client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName(CONFIGURATION)
                .get();
        return configuration.getWebhooks().stream()
                .map(w -> w.getClientConfig().getCaBundle())
                .toList();
    }

    static String causes(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t).append('\n');
        }
        return messages.toString();
    }

    static String base64(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
    }
}
