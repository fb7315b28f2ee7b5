package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.admittedPod;
import static dev.modproxy.operator.webhook.AdmissionFixtures.env;
import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.response;
import static dev.modproxy.operator.webhook.HostileReviewsTest.ONE_CONTAINER;
import static dev.modproxy.operator.webhook.HostileReviewsTest.review;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pods that asked for a cache and would not get what they expect from it: the warning says why and what to do. */
class InjectionWarningsTest {

    static final String LABELLED_TRUE = "{\"labels\":{\"modproxy.dev/inject\":\"true\"}}";

    final InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
            .add(cache("ci", "default", "https://goproxy.cn,direct", true))
            .add(cache("other", "w", "https://proxy.golang.org", true));
    final AdmissionReviewHandler handler = new AdmissionReviewHandler(
            new PodMutator(directory, Set.of("kube-system", "modproxy")),
            new InjectionMetrics(new SimpleMeterRegistry()));

    static CacheTarget cache(String namespace, String name, String fallback, boolean ready) {
        return new CacheTarget(
                new CacheRef(namespace, name),
                "http://" + name + "." + namespace + ".svc",
                fallback,
                List.of(),
                List.of(),
                ready,
                false);
    }

    byte[] handle(String review) {
        AdmissionReviewHandler.Reply reply = handler.handle(review.getBytes(StandardCharsets.UTF_8));
        assertThat(reply.status())
                .as(() -> new String(reply.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        return reply.body();
    }

    static List<String> warnings(byte[] reply) {
        JsonObject response = response(reply);
        if (!response.containsKey("warnings")) {
            return List.of();
        }
        return response.getJsonArray("warnings").getValuesAs(JsonString.class).stream()
                .map(JsonString::getString)
                .toList();
    }

    @Test
    void aPodInANamespaceTheOperatorDoesNotWatchIsToldSoThoughACacheExistsThere() {
        directory.watching("ci");

        byte[] byLabel = handle(review("other", LABELLED_TRUE, ONE_CONTAINER));
        byte[] byAnnotation = handle(review(
                "ci",
                "{\"labels\":{\"modproxy.dev/inject\":\"true\"},\"annotations\":{\"modproxy.dev/cache\":\"other/w\"}}",
                ONE_CONTAINER));

        for (byte[] reply : List.of(byLabel, byAnnotation)) {
            assertThat(patch(reply)).isEmpty();
            assertThat(warnings(reply))
                    .containsExactly("modproxy: the operator does not watch namespace other: add it to "
                            + "watchNamespaces; pod left unchanged");
        }
    }

    @Test
    void aPodOfAnUnwatchedNamespaceStillGetsACacheItNamesInAWatchedOne() {
        directory.watching("ci");

        String review = review(
                "other",
                "{\"labels\":{\"modproxy.dev/inject\":\"true\"},\"annotations\":{\"modproxy.dev/cache\":\"ci/default\"}}",
                ONE_CONTAINER);

        byte[] reply = handle(review);

        assertThat(warnings(reply)).isEmpty();
        assertThat(env(admittedPod(review.getBytes(StandardCharsets.UTF_8), reply), "containers", "go"))
                .containsEntry("GOPROXY", "http://default.ci.svc|https://goproxy.cn,direct");
    }

    @Test
    void anEmptyInjectLabelIsAMistakeTheWarningExplainsInAnOptedInNamespaceToo() {
        directory.namespace("ci", Map.of("modproxy.dev/inject", "enabled"), Map.of());

        byte[] reply = handle(review("ci", "{\"labels\":{\"modproxy.dev/inject\":\"\"}}", ONE_CONTAINER));

        assertThat(patch(reply)).isEmpty();
        assertThat(warnings(reply))
                .containsExactly("modproxy: pod label modproxy.dev/inject is empty: write \"true\", a GoProxyCache "
                        + "name or \"false\"; pod left unchanged");
    }

    /**
     * What to fix comes last in these warnings: the namespace to watch, the containers to change. kubectl prints a
     * warning as the API server passes it on, and the API server cuts none of 256 characters or less
     * (admission.k8s.io/v1 AdmissionResponse.warnings).
     */
    @Test
    void warningsNamingANamespaceOrSeveralContainersReachKubectlWhole() {
        directory
                .watching("ci", "payments")
                .add(new CacheTarget(
                        new CacheRef("payments", "go-modules"),
                        "http://go-modules.payments.svc",
                        "https://proxy.golang.org",
                        List.of("git.payments.example.com/*"),
                        List.of(),
                        true,
                        false));
        String fromConfigMap =
                "\"env\":[{\"name\":\"GONOPROXY\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"go\",\"key\":\"np\"}}}]";
        String twoSteps = "{\"containers\":[{\"name\":\"step-unit-tests\",\"image\":\"golang:1.26\"," + fromConfigMap
                + "},{\"name\":\"step-integration-tests\",\"image\":\"golang:1.26\"," + fromConfigMap + "}]}";

        byte[] steps = handle(review("payments", LABELLED_TRUE, twoSteps));
        byte[] unwatched = handle(review("payments-integration-tests-2026", LABELLED_TRUE, ONE_CONTAINER));

        assertThat(warnings(steps))
                .containsExactly("modproxy: private modules may reach the fallback: add payments/go-modules's "
                        + "spec.private to GONOPROXY in step-unit-tests, step-integration-tests");
        assertThat(warnings(unwatched))
                .containsExactly("modproxy: the operator does not watch namespace payments-integration-tests-2026: "
                        + "add it to watchNamespaces; pod left unchanged");
    }

    /**
     * Each warning names something else to fix. The API server sets no limit on how many a webhook returns: it passes
     * them all on, cutting each to 256 characters only once a response's warnings pass 4096 (k8s.io/apiserver
     * endpoints/filters/warning.go), so the fourth reaches kubectl like the first.
     */
    @Test
    void everyWarningAPodEarnsReachesKubectl() {
        directory.add(new CacheTarget(
                new CacheRef("payments", "go-modules"),
                "http://go-modules.payments.svc",
                "https://\u00f1.example",
                List.of("git.payments.example.com/*"),
                List.of(),
                true,
                true));
        String pipeline = "{\"hostNetwork\":true,\"containers\":["
                + "{\"name\":\"step-unit-tests\",\"image\":\"golang:1.26\",\"env\":[{\"name\":\"GONOPROXY\","
                + "\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"go\",\"key\":\"np\"}}}]},"
                + "{\"name\":\"step-lint\",\"image\":\"golang:1.26\",\"envFrom\":[{\"configMapRef\":{\"name\":\"go\"}}]}]}";

        byte[] reply = handle(review("payments", LABELLED_TRUE, pipeline));

        assertThat(warnings(reply))
                .containsExactly(
                        "modproxy: GoProxyCache payments/go-modules: fallback chain refused (Degraded InvalidSpec); "
                                + "GOPROXY is the cache alone",
                        "modproxy: hostNetwork pod: set dnsPolicy: ClusterFirstWithHostNet to reach the cache; "
                                + "NetworkPolicy: docs/injection.md",
                        "modproxy: private modules may reach the fallback: add payments/go-modules's spec.private to "
                                + "GONOPROXY in step-unit-tests",
                        "modproxy: envFrom may set the Go variables; left to it in container(s) step-lint");
    }

    @Test
    void aFallbackChainTheOperatorRefusesIsLeftOutOfGoproxyAndNamedInAWarning() {
        directory.add(cache("probe", "default", "https://\u00f1.example", true));
        String review = review("probe", LABELLED_TRUE, ONE_CONTAINER);

        byte[] reply = handle(review);

        assertThat(env(admittedPod(review.getBytes(StandardCharsets.UTF_8), reply), "containers", "go"))
                .isEqualTo(Map.of("GOPROXY", "http://default.probe.svc"));
        assertThat(warnings(reply))
                .containsExactly("modproxy: GoProxyCache probe/default: fallback chain refused (Degraded InvalidSpec); "
                        + "GOPROXY is the cache alone");
    }

    @Test
    void aCacheThatIsNotReadyWithARefusedFallbackChainLeavesThePodUnchanged() {
        directory.add(cache("probe", "default", "https://\u00f1.example", false));

        byte[] reply = handle(review("probe", LABELLED_TRUE, ONE_CONTAINER));

        assertThat(patch(reply)).isEmpty();
        assertThat(warnings(reply))
                .containsExactly("modproxy: GoProxyCache probe/default is not Ready, its fallback refused (Degraded "
                        + "InvalidSpec); pod left unchanged");
    }

    @Test
    void aHostNetworkPodIsToldItCannotResolveTheCacheWithoutClusterFirstWithHostNet() {
        String hostNetwork = "{\"hostNetwork\":true,\"dnsPolicy\":\"ClusterFirst\"," + ONE_CONTAINER.substring(1);
        String resolving =
                "{\"hostNetwork\":true,\"dnsPolicy\":\"ClusterFirstWithHostNet\"," + ONE_CONTAINER.substring(1);

        byte[] told = handle(review("ci", LABELLED_TRUE, hostNetwork));
        byte[] resolves = handle(review("ci", LABELLED_TRUE, resolving));

        assertThat(warnings(told))
                .containsExactly("modproxy: hostNetwork pod: set dnsPolicy: ClusterFirstWithHostNet to reach the "
                        + "cache; NetworkPolicy: docs/injection.md");
        assertThat(patch(told))
                .as("the pod still gets the cache and its fallback")
                .isNotEmpty();
        assertThat(warnings(resolves)).isEmpty();
    }

    @Test
    void theInjectedAnnotationIsTheWebhooksRecordAndReplacesAValueThePodCarries() {
        String own = review(
                "ci",
                "{\"labels\":{\"modproxy.dev/inject\":\"true\"},\"annotations\":{\"modproxy.dev/injected\":\"mine\","
                        + "\"team\":\"a\"}}",
                ONE_CONTAINER);
        String emptyMap =
                review("ci", "{\"labels\":{\"modproxy.dev/inject\":\"true\"},\"annotations\":{}}", ONE_CONTAINER);
        String noMap = review("ci", LABELLED_TRUE, ONE_CONTAINER);
        String record = "{\"cache\":\"ci/default\",\"outcome\":\"injected\"}";

        JsonObject replaced =
                admittedPod(own.getBytes(StandardCharsets.UTF_8), handle(own)).getJsonObject("metadata");

        assertThat(replaced.getJsonObject("annotations").getString("modproxy.dev/injected"))
                .isEqualTo(record);
        assertThat(replaced.getJsonObject("annotations").getString("team")).isEqualTo("a");
        for (String review : List.of(emptyMap, noMap)) {
            // Parsson applies the patch as the API server does: an "add" below a missing map would throw
            JsonObject metadata = admittedPod(review.getBytes(StandardCharsets.UTF_8), handle(review))
                    .getJsonObject("metadata");
            assertThat(metadata.getJsonObject("annotations")).containsOnlyKeys("modproxy.dev/injected");
            assertThat(metadata.getJsonObject("annotations").getString("modproxy.dev/injected"))
                    .isEqualTo(record);
        }
    }
}
