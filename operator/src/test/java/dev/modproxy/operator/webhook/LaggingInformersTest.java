package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.admittedPod;
import static dev.modproxy.operator.webhook.AdmissionFixtures.env;
import static dev.modproxy.operator.webhook.AdmissionFixtures.json;
import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.response;
import static dev.modproxy.operator.webhook.AdmissionFixtures.review;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook's informers lag behind the API server by a moment: a namespace labelled, or a GoProxyCache created, just
 * before a pod. The informers' view here is an in-memory directory that has not seen the change; the API server is the
 * fabric8 mock server (CRUD), or one that refuses or never answers. The reviews go over HTTP to the route, as the API
 * server sends them.
 */
@EnableKubernetesMockClient(crud = true)
class LaggingInformersTest {

    static final String CACHE_URL = "http://gomod-proxy.ci.svc";
    static final String FALLBACK = "https://proxy.golang.org,direct";
    static final CacheTarget CI_CACHE =
            new CacheTarget(new CacheRef("ci", "gomod"), CACHE_URL, FALLBACK, List.of(), List.of(), true, false);
    static final Map<String, String> OPTED_IN = Map.of(InjectionLabels.INJECT, InjectionLabels.NAMESPACE_ENABLED);
    /** The API server's default timeoutSeconds (chart value webhook.timeoutSeconds). */
    static final Duration API_SERVER_WAITS = Duration.ofSeconds(3);

    KubernetesMockServer server;
    KubernetesClient client;

    final Vertx vertx = Vertx.vertx();
    final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final InjectionMetrics metrics = new InjectionMetrics(registry);
    final AtomicLong clock = new AtomicLong();
    /** Closed before Vert.x, so that a worker blocked in a read is let go. */
    final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

    /** What the informers have seen. */
    final InMemoryCacheDirectory informers = new InMemoryCacheDirectory();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable open : closing) {
            open.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void anUnlabelledPodOfANamespaceLabelledAMomentAgoIsInjected() throws Exception {
        informers.add(CI_CACHE).namespace("ci", Map.of(), Map.of());
        namespaceInApiServer("ci", OPTED_IN, Map.of());
        cacheInApiServer("ci", "gomod", Map.of());
        int port = webhook(apiServer(client), Duration.ofSeconds(1), 4);

        byte[] review = reviewOf("ci", Map.of());
        HttpResponse<byte[]> answer = post(port, review);

        assertThat(env(admittedPod(review, answer.body()), "containers", "nginx"))
                .containsEntry("GOPROXY", CACHE_URL + "|" + FALLBACK);
        assertThat(count("modproxy.webhook.rechecks", "result", "changed")).isEqualTo(1);
        assertThat(count("modproxy.webhook.injections", "outcome", "injected")).isEqualTo(1);
        assertThat(count("modproxy.webhook.injections", "outcome", "skipped")).isZero();
    }

    @Test
    void aPodRightBehindItsGoProxyCacheIsInjected() throws Exception {
        informers.namespace("ci", Map.of(), Map.of());
        namespaceInApiServer("ci", Map.of(), Map.of());
        cacheInApiServer("ci", "gomod", Map.of());
        int port = webhook(apiServer(client), Duration.ofSeconds(1), 4);

        byte[] namespaceDefault = reviewOf("ci", Map.of(InjectionLabels.INJECT, "true"));
        byte[] named = reviewOf("ci", Map.of(InjectionLabels.INJECT, "gomod"));

        for (byte[] review : List.of(namespaceDefault, named)) {
            assertThat(env(admittedPod(review, post(port, review).body()), "containers", "nginx"))
                    .containsEntry("GOPROXY", CACHE_URL + "|" + FALLBACK);
        }
    }

    /** The namespace annotation names the cache: a reason to read the Namespace even for a labelled pod. */
    @Test
    void aNamespaceAnnotatedAMomentAgoGivesItsCache() throws Exception {
        informers.add(CI_CACHE).namespace("web", Map.of(), Map.of());
        namespaceInApiServer("web", Map.of(), Map.of(InjectionLabels.CACHE, "ci/gomod"));
        cacheInApiServer("ci", "gomod", Map.of());
        int port = webhook(apiServer(client), Duration.ofSeconds(1), 4);

        byte[] review = reviewOf("web", Map.of(InjectionLabels.INJECT, "true"));

        assertThat(env(admittedPod(review, post(port, review).body()), "containers", "nginx"))
                .containsEntry("GOPROXY", CACHE_URL + "|" + FALLBACK);
    }

    /**
     * Labelled, and no GoProxyCache ever: every pod asks again, but the API server is read once every 2 s, a GET of
     * the Namespace and a LIST of its caches, however many pods come. The user sees the informers' warning.
     */
    @Test
    void aMisconfiguredNamespaceIsReadOnceEveryTwoSecondsWhateverThePodRate() throws Exception {
        informers.namespace("ci", OPTED_IN, Map.of());
        namespaceInApiServer("ci", OPTED_IN, Map.of());
        int port = webhook(apiServer(client), Duration.ofSeconds(1), 4);
        int before = server.getRequestCount();

        for (int pod = 0; pod < 30; pod++) {
            HttpResponse<byte[]> answer = post(port, reviewOf("ci", Map.of()));
            assertThat(patch(answer.body())).isEmpty();
            assertThat(response(answer.body()).getJsonArray("warnings").getString(0))
                    .startsWith("modproxy: no GoProxyCache in namespace ci");
        }
        assertThat(server.getRequestCount() - before).isEqualTo(2);
        assertThat(count("modproxy.webhook.live.reads")).isEqualTo(2);

        clock.addAndGet(KubernetesCacheDirectory.LIVE_ANSWERS_KEPT.toNanos());
        post(port, reviewOf("ci", Map.of()));

        assertThat(server.getRequestCount() - before).isEqualTo(4);
        assertThat(count("modproxy.webhook.rechecks", "result", "unchanged")).isEqualTo(31);
    }

    @Test
    void aReadThatFailsIsAnsweredFromTheInformers() throws Exception {
        informers.namespace("ci", Map.of(), Map.of());
        int refusing;
        try (ServerSocket gone = new ServerSocket(0)) {
            refusing = gone.getLocalPort();
        }
        int port = webhook(apiServer(clientOf(refusing)), Duration.ofSeconds(2), 4);

        HttpResponse<byte[]> answer = post(port, reviewOf("ci", Map.of()));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(response(answer.body()).getBoolean("allowed")).isTrue();
        assertThat(patch(answer.body())).isEmpty();
        assertThat(count("modproxy.webhook.rechecks", "result", "failed")).isEqualTo(1);
        assertThat(count("modproxy.webhook.injections", "outcome", "skipped")).isEqualTo(1);
    }

    @Test
    void aReadThatHangsIsAnsweredFromTheInformersWellBeforeTheApiServerGivesUp() throws Exception {
        informers.namespace("ci", Map.of(), Map.of(InjectionLabels.CACHE, "ci/gomod"));
        Silent silent = new Silent();
        Duration timeout = Duration.ofMillis(300);
        int port = webhook(apiServer(clientOf(silent.port())), timeout, 4);

        long started = System.nanoTime();
        HttpResponse<byte[]> answer = post(port, reviewOf("ci", Map.of(InjectionLabels.INJECT, "true")));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(silent.accepted).as("the API server was asked").hasSize(1);
        assertThat(took).isGreaterThanOrEqualTo(timeout).isLessThan(API_SERVER_WAITS);
        assertThat(response(answer.body()).getJsonArray("warnings").getString(0))
                .isEqualTo("modproxy: GoProxyCache ci/gomod (from namespace annotation modproxy.dev/cache) does not"
                        + " exist; pod left unchanged");
        assertThat(count("modproxy.webhook.rechecks", "result", "timed-out")).isEqualTo(1);
    }

    /**
     * Past the bound of looks in flight a review is answered from the informers at once, without a read; and while a
     * look waits, the event loop answers every other review.
     */
    @Test
    void pastTheLooksInFlightReviewsAreAnsweredFromTheInformersAtOnce() throws Exception {
        informers.add(CI_CACHE).namespace("ci", Map.of(), Map.of()).namespace("web", Map.of(), Map.of());
        Silent silent = new Silent();
        Duration timeout = Duration.ofSeconds(5);
        // the read outlasts the look: the slot stays taken for the whole test
        int port = webhook(
                apiServer(
                        clientOf(silent.port()),
                        KubernetesCacheDirectory.LIVE_READS_PER_WINDOW,
                        Duration.ofSeconds(60)),
                timeout,
                1);

        CompletableFuture<HttpResponse<byte[]>> waiting =
                http.sendAsync(request(port, reviewOf("web", Map.of())), HttpResponse.BodyHandlers.ofByteArray());
        await().atMost(Duration.ofSeconds(10)).until(() -> silent.accepted.size() == 1);

        long started = System.nanoTime();
        HttpResponse<byte[]> past = post(port, reviewOf("web", Map.of()));
        byte[] agreed = reviewOf("ci", Map.of(InjectionLabels.INJECT, "true"));
        HttpResponse<byte[]> common = post(port, agreed);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).isLessThan(Duration.ofSeconds(2));
        assertThat(patch(past.body())).isEmpty();
        assertThat(env(admittedPod(agreed, common.body()), "containers", "nginx"))
                .containsEntry("GOPROXY", CACHE_URL + "|" + FALLBACK);
        assertThat(count("modproxy.webhook.rechecks", "result", "busy")).isEqualTo(1);
        assertThat(silent.accepted).as("no second read").hasSize(1);
        assertThat(patch(waiting.get(20, TimeUnit.SECONDS).body())).isEmpty();
        assertThat(count("modproxy.webhook.rechecks", "result", "timed-out")).isEqualTo(1);
    }

    /**
     * Read a moment ago, the namespace was labelled; its label is removed since, and the informers, which never saw
     * the label, are right. The answer read is not given again: the pod is left unchanged.
     */
    @Test
    void aNamespaceOptedOutSinceItWasReadIsNotInjectedFromTheAnswerKept() throws Exception {
        informers.add(CI_CACHE).namespace("ci", Map.of(), Map.of());
        namespaceInApiServer("ci", OPTED_IN, Map.of());
        cacheInApiServer("ci", "gomod", Map.of());
        int port = webhook(apiServer(client), Duration.ofSeconds(1), 4);
        byte[] review = reviewOf("ci", Map.of());
        assertThat(env(admittedPod(review, post(port, review).body()), "containers", "nginx"))
                .containsKey("GOPROXY");

        client.namespaces().withName("ci").edit(namespace -> {
            namespace.getMetadata().setLabels(Map.of());
            return namespace;
        });
        HttpResponse<byte[]> answer = post(port, review);

        assertThat(patch(answer.body())).isEmpty();
        assertThat(count("modproxy.webhook.rechecks", "result", "changed")).isEqualTo(1);
        assertThat(count("modproxy.webhook.rechecks", "result", "unchanged")).isEqualTo(1);
        assertThat(count("modproxy.webhook.injections", "outcome", "skipped")).isEqualTo(1);
    }

    /** Read a moment ago, the GoProxyCache existed; deleted since, it is not injected from the answer kept. */
    @Test
    void aGoProxyCacheDeletedSinceItWasReadIsNotInjectedFromTheAnswerKept() throws Exception {
        informers.namespace("ci", Map.of(), Map.of());
        namespaceInApiServer("ci", Map.of(), Map.of());
        cacheInApiServer("ci", "gomod", Map.of());
        int port = webhook(apiServer(client), Duration.ofSeconds(1), 4);
        byte[] named = reviewOf("ci", Map.of(InjectionLabels.INJECT, "gomod"));
        assertThat(env(admittedPod(named, post(port, named).body()), "containers", "nginx"))
                .containsKey("GOPROXY");

        client.resources(GoProxyCache.class).inNamespace("ci").withName("gomod").delete();
        HttpResponse<byte[]> answer = post(port, named);

        assertThat(patch(answer.body())).isEmpty();
        assertThat(response(answer.body()).getJsonArray("warnings").getString(0))
                .isEqualTo("modproxy: GoProxyCache ci/gomod (from pod label modproxy.dev/inject) does not exist; pod"
                        + " left unchanged");
    }

    /**
     * A client posting straight to the Service names a new namespace in each review: no kept answer saves a read, so
     * the reads per window are bounded, past them the informers answer; a name no namespace can have is never read.
     */
    @Test
    void reviewsNamingEverNewNamespacesSendAtMostTheReadsOfAWindow() throws Exception {
        int port = webhook(apiServer(client, 20, KubernetesCacheDirectory.LIVE_READ_TIMEOUT), Duration.ofSeconds(1), 4);
        int before = server.getRequestCount();

        for (int pod = 0; pod < 30; pod++) {
            HttpResponse<byte[]> answer = post(port, reviewOf("made-up-" + pod, Map.of()));
            assertThat(patch(answer.body())).isEmpty();
        }

        assertThat(server.getRequestCount() - before).isEqualTo(20);
        assertThat(count("modproxy.webhook.live.reads")).isEqualTo(20);
        assertThat(count("modproxy.webhook.rechecks", "result", "unchanged")).isEqualTo(20);
        assertThat(count("modproxy.webhook.rechecks", "result", "limited")).isEqualTo(10);

        clock.addAndGet(KubernetesCacheDirectory.LIVE_ANSWERS_KEPT.toNanos());
        post(port, reviewOf("Not_A_Namespace", Map.of()));
        post(port, reviewOf("n".repeat(64), Map.of()));
        assertThat(server.getRequestCount() - before)
                .as("names no namespace can have")
                .isEqualTo(20);
        post(port, reviewOf("made-up-30", Map.of()));
        assertThat(server.getRequestCount() - before).as("the next window").isEqualTo(21);
    }

    /**
     * A read of an API server that never answers ends at the look's timeout, not at the client's own (here 60 s, 10 s
     * by default, then retried): until it ends, it holds its slot of the looks in flight, and every other review that
     * needs a look is answered from the informers as busy.
     */
    @Test
    void aReadOfASilentApiServerGivesItsSlotBackAfterTheLookTimeout() throws Exception {
        informers.namespace("ci", Map.of(), Map.of());
        Silent silent = new Silent();
        int port = webhook(apiServer(clientOf(silent.port())), Duration.ofMillis(300), 1);

        post(port, reviewOf("ci", Map.of()));
        assertThat(count("modproxy.webhook.rechecks", "result", "timed-out")).isEqualTo(1);

        await().atMost(KubernetesCacheDirectory.LIVE_READ_TIMEOUT.multipliedBy(8))
                .untilAsserted(() -> {
                    post(port, reviewOf("ci", Map.of()));
                    assertThat(count("modproxy.webhook.rechecks", "result", "timed-out"))
                            .isEqualTo(2);
                });
        assertThat(silent.accepted).as("a second read was sent").hasSizeGreaterThanOrEqualTo(2);
    }

    /** Where the informers inject, or the pod's own label decides, the API server is never asked. */
    @Test
    void reviewsTheInformersDecideAreAnsweredWithoutReadingTheApiServer() throws Exception {
        informers.add(CI_CACHE).namespace("ci", OPTED_IN, Map.of());
        namespaceInApiServer("ci", OPTED_IN, Map.of());
        cacheInApiServer("ci", "gomod", Map.of());
        int port = webhook(apiServer(client), Duration.ofSeconds(1), 4);
        int before = server.getRequestCount();

        for (int pod = 0; pod < 10; pod++) {
            post(port, reviewOf("ci", Map.of()));
            post(port, reviewOf("ci", Map.of(InjectionLabels.INJECT, "true")));
            post(port, reviewOf("ci", Map.of(InjectionLabels.INJECT, "")));
        }
        assertThat(server.getRequestCount() - before).isZero();
        assertThat(count("modproxy.webhook.injections", "outcome", "injected")).isEqualTo(20);

        // the same server is read as soon as the informers lag: the count above would have seen it
        informers.namespace("web", Map.of(), Map.of());
        post(port, reviewOf("web", Map.of()));
        assertThat(server.getRequestCount() - before).isEqualTo(1);
    }

    /** The API server's view as {@code api} reads it, kept answers checked against {@link #informers}. */
    private KubernetesCacheDirectory.LiveView apiServer(KubernetesClient api) {
        return apiServer(
                api, KubernetesCacheDirectory.LIVE_READS_PER_WINDOW, KubernetesCacheDirectory.LIVE_READ_TIMEOUT);
    }

    private KubernetesCacheDirectory.LiveView apiServer(
            KubernetesClient api, int readsPerWindow, Duration readTimeout) {
        return new KubernetesCacheDirectory.LiveView(
                api, informers, metrics::liveRead, clock::get, readsPerWindow, readTimeout);
    }

    /** The webhook's route, its informers' view {@link #informers}; its port. */
    private int webhook(CacheDirectory apiServer, Duration lookTimeout, int looksInFlight) throws Exception {
        AdmissionReviewHandler handler = new AdmissionReviewHandler(
                new PodMutator(informers, Set.of("kube-system")),
                new PodMutator(apiServer, Set.of("kube-system")),
                metrics);
        return vertx.createHttpServer()
                .requestHandler(new MutatePodsRoute(
                        handler,
                        vertx,
                        MutatePodsRoute.BODIES_IN_FLIGHT,
                        MutatePodsRoute.BODY_DEADLINE,
                        lookTimeout,
                        looksInFlight))
                .listen(0)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .actualPort();
    }

    private HttpResponse<byte[]> post(int port, byte[] review) throws Exception {
        HttpResponse<byte[]> answer = http.send(request(port, review), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(answer.statusCode())
                .as(() -> new String(answer.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        return answer;
    }

    private static HttpRequest request(int port, byte[] review) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mutate-pods"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(review))
                .build();
    }

    /** The unlabelled fixture pod, in {@code namespace}, with {@code labels}. */
    private static byte[] reviewOf(String namespace, Map<String, String> labels) {
        JsonObject original = json(review("unlabeled-pod.json"));
        JsonObject request = original.getJsonObject("request");
        JsonObject pod = request.getJsonObject("object");
        JsonObjectBuilder podLabels =
                Json.createObjectBuilder(pod.getJsonObject("metadata").getJsonObject("labels"));
        labels.forEach(podLabels::add);
        JsonObject metadata = Json.createObjectBuilder(pod.getJsonObject("metadata"))
                .add("labels", podLabels)
                .build();
        return Json.createObjectBuilder(original)
                .add(
                        "request",
                        Json.createObjectBuilder(request)
                                .add("namespace", namespace)
                                .add("object", Json.createObjectBuilder(pod).add("metadata", metadata)))
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    private void namespaceInApiServer(String name, Map<String, String> labels, Map<String, String> annotations) {
        client.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withLabels(labels)
                        .withAnnotations(annotations)
                        .endMetadata()
                        .build())
                .create();
    }

    private void cacheInApiServer(String namespace, String name, Map<String, String> annotations) {
        GoProxyCache cache =
                CacheTargetMappingTest.cache("https://goproxy.cn", FALLBACK, CacheCondition.TRUE, annotations);
        cache.getMetadata().setNamespace(namespace);
        cache.getMetadata().setName(name);
        client.resource(cache).create();
    }

    /** A client of an API server at {@code port} on loopback, which retries nothing and waits long. */
    private KubernetesClient clientOf(int port) {
        KubernetesClient created = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder()
                        .withMasterUrl("http://127.0.0.1:" + port)
                        .withRequestRetryBackoffLimit(0)
                        .withRequestTimeout(60_000)
                        .build())
                .build();
        closing.add(created);
        return created;
    }

    private double count(String meter) {
        return registry.get(meter).counter().count();
    }

    private double count(String meter, String tag, String value) {
        return registry.get(meter).tag(tag, value).counter().count();
    }

    /** An API server that accepts connections and never answers. */
    private final class Silent {

        final ServerSocket socket = new ServerSocket(0);
        final List<Socket> accepted = new CopyOnWriteArrayList<>();

        Silent() throws Exception {
            closing.add(socket);
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket connection = socket.accept();
                        accepted.add(connection);
                        closing.add(connection);
                    }
                } catch (Exception closed) {
                    // closed after the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }
    }
}
