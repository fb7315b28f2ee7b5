package dev.modproxy.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.cluster.ClusterUnderTest;
import dev.modproxy.operator.cluster.TestRun;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * The operator as it runs, against the mock API server (the test scripts when the fence rises, which a real API server
 * cannot): a reconciliation that has sent its first write when the fence rises (the Lease lost, or a pause past the
 * renew deadline noticed) sends nothing more, neither the other dependents nor the status, ends without a failure
 * reported, and is not retried. Its own profile: the fence, raised for good, is this application's alone.
 */
@QuarkusTest
@TestProfile(FenceRisingMidReconciliationTest.OneDependentAtATime.class)
class FenceRisingMidReconciliationTest {

    /** One dependent at a time, so that no other write is on its way while the first one's answer raises the fence. */
    public static class OneDependentAtATime implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.operator-sdk.concurrent-workflow-threads", "1");
        }
    }

    @Inject
    LeadershipFence fence;

    /** The operator's own, fenced: the test writes through a client of its own. */
    @Inject
    KubernetesClient operatorClient;

    @Test
    void aReconciliationWhoseFenceRisesAfterItsFirstWriteSendsNoOtherWrite() throws Exception {
        KubernetesMockServer mock = ClusterUnderTest.mock()
                .orElseThrow(() -> new IllegalStateException("scripts the mock API server; not for a real cluster"));
        String ns = TestRun.name("fenced");
        List<String> answered = new CopyOnWriteArrayList<>();
        for (String collection : dependentCollections(ns)) {
            mock.expect()
                    .post()
                    .withPath(collection)
                    .andReply(201, request -> {
                        fence.raise(); // as if the Lease was lost right after this write went out
                        return record(answered, request);
                    })
                    .always();
        }
        // answered too, should the status be written after all
        String status = "/apis/modproxy.dev/v1alpha1/namespaces/" + ns + "/goproxycaches/builds/status";
        mock.expect()
                .patch()
                .withPath(status)
                .andReply(200, request -> record(answered, request))
                .always();
        mock.expect()
                .put()
                .withPath(status)
                .andReply(200, request -> record(answered, request))
                .always();
        // the reconciler's DEBUG lines say when the reconciliation ended; set here and put back after, not in the
        // profile, which left the level at DEBUG for the test classes that ran after this one in the same JVM
        java.util.logging.Logger reconciler = java.util.logging.Logger.getLogger("dev.modproxy.operator.reconciler");
        Level levelBefore = reconciler.getLevel();
        reconciler.setLevel(Level.FINE);
        try (KubernetesClient others = new KubernetesClientBuilder()
                        .withConfig(operatorClient.getConfiguration())
                        .build();
                CapturedLog log = new CapturedLog("dev.modproxy", "io.javaoperatorsdk")) {
            others.namespaces().resource(TestRun.namespace(ns)).create();
            GoProxyCache cache = new GoProxyCache();
            cache.setMetadata(
                    new ObjectMetaBuilder().withName("builds").withNamespace(ns).build());
            requestsSent(mock);
            others.resource(cache).create();

            await("the reconciliation's end, or a second write")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> answered.size() > 1
                            || log.records.stream()
                                    .anyMatch(
                                            r -> CapturedLog.text(r).contains("ended: this replica no longer leads")));

            assertThat(answered).as("writes that reached the API server").hasSize(1);
            assertThat(requestsSent(mock))
                    .as("every write the API server received since the cache was made")
                    .filteredOn(r -> !r.startsWith("GET "))
                    .containsExactly(
                            "POST /apis/modproxy.dev/v1alpha1/namespaces/" + ns + "/goproxycaches", answered.get(0));
            assertThat(others.resources(GoProxyCache.class)
                            .inNamespace(ns)
                            .withName("builds")
                            .get()
                            .getStatus())
                    .as("status")
                    .isNull();
            assertThat(log.records)
                    .as("the one line that says why nothing more is written")
                    .filteredOn(r -> r.getLevel().intValue() >= Level.INFO.intValue())
                    .extracting(CapturedLog::text)
                    .singleElement()
                    .asString()
                    .contains("not sent: this replica no longer leads");
            // JOSDK's first retry would come after 2 s: it would find the fence raised and say so at DEBUG
            await("no retry")
                    .during(Duration.ofSeconds(4))
                    .atMost(Duration.ofSeconds(6))
                    .until(() -> log.records.stream()
                            .noneMatch(r -> CapturedLog.text(r).contains("not reconciled")));
            assertThat(log.records)
                    .filteredOn(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                    .extracting(CapturedLog::text)
                    .isEmpty();
        } finally {
            reconciler.setLevel(levelBefore);
        }
    }

    private static String record(List<String> answered, RecordedRequest request) {
        answered.add(request.getMethod() + " " + request.getPath());
        return request.getUtf8Body();
    }

    /** Where the operator SDK creates each of the workflow's dependents (it creates with POST without server-side apply). */
    private static List<String> dependentCollections(String ns) throws Exception {
        List<String> paths = new ArrayList<>();
        for (Dependent dependent :
                GoProxyCacheReconciler.class.getAnnotation(Workflow.class).dependents()) {
            Class<? extends HasMetadata> type = ((KubernetesDependentResource<?, ?>)
                            dependent.type().getDeclaredConstructor().newInstance())
                    .resourceType();
            String apiVersion = HasMetadata.getApiVersion(type);
            paths.add((apiVersion.contains("/") ? "/apis/" : "/api/") + apiVersion + "/namespaces/" + ns + "/"
                    + HasMetadata.getPlural(type));
        }
        return paths;
    }

    /** The requests the API server received since the last call, as {@code METHOD path}. */
    private static List<String> requestsSent(KubernetesMockServer mock) throws InterruptedException {
        List<String> sent = new ArrayList<>();
        for (RecordedRequest r = mock.takeRequest(0, TimeUnit.SECONDS);
                r != null;
                r = mock.takeRequest(0, TimeUnit.SECONDS)) {
            sent.add(r.getMethod() + " " + r.getPath());
        }
        return sent;
    }
}
