package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.admittedPod;
import static dev.modproxy.operator.webhook.AdmissionFixtures.env;
import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.reinvocation;
import static dev.modproxy.operator.webhook.AdmissionFixtures.response;
import static dev.modproxy.operator.webhook.AdmissionFixtures.review;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class PodMutationTest {

    static final String CI_CACHE_URL = "http://gomod.ci.svc.cluster.local:8080";
    static final String CI_GOPROXY = CI_CACHE_URL + "|https://goproxy.cn,direct";

    final InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
            .add(new CacheTarget(new CacheRef("ci", "gomod"), CI_CACHE_URL, "https://goproxy.cn,direct",
                    List.of("git.corp.example.com/*"), List.of("corp.example.com/*"), true, false))
            .add(new CacheTarget(new CacheRef("jenkins-agents", "gomod"), "http://gomod.jenkins-agents.svc:8080",
                    "https://proxy.golang.org", List.of(), List.of(), true, false))
            .add(new CacheTarget(new CacheRef("builds", "mirror"), "http://mirror.builds.svc:8080",
                    "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct", List.of(), List.of(), false, false))
            .add(new CacheTarget(new CacheRef("shared", "gomod"), "http://gomod.shared.svc:8080",
                    "https://proxy.golang.org,direct", List.of(), List.of(), true, false))
            .namespace("web", Map.of(), Map.of())
            .namespace("ci", Map.of(), Map.of());
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final AdmissionReviewHandler handler = new AdmissionReviewHandler(
            new PodMutator(directory, Set.of("kube-system", "modproxy")), new InjectionMetrics(registry));

    byte[] handle(byte[] review) {
        AdmissionReviewHandler.Reply reply = handler.handle(review);
        assertEquals(200, reply.status(), () -> new String(reply.body(), StandardCharsets.UTF_8));
        return reply.body();
    }

    @Test
    void tektonTaskRunPodGetsTheCacheInEveryStepAndInitContainer() {
        byte[] review = review("tekton-taskrun-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        Map<String, String> injected = Map.of("GOPROXY", CI_GOPROXY, "GOPRIVATE", "git.corp.example.com/*",
                "GONOPROXY", "git.corp.example.com/*", "GONOSUMDB", "git.corp.example.com/*,corp.example.com/*");
        assertEquals(injected, env(pod, "initContainers", "prepare"));
        assertEquals(injected, env(pod, "initContainers", "place-scripts"));
        assertEquals(injected, env(pod, "containers", "step-test"));
        Map<String, String> build = new LinkedHashMap<>();
        build.put("GOFLAGS", "-mod=readonly");
        build.put("CGO_ENABLED", "0");
        build.put("HOME", "/tekton/home");
        build.putAll(Map.of("GOPROXY", CI_GOPROXY, "GOPRIVATE", "git.corp.example.com/*",
                "GONOPROXY", "git.corp.example.com/*", "GONOSUMDB", "git.corp.example.com/*,corp.example.com/*"));
        assertEquals(build, env(pod, "containers", "step-build"));

        JsonObject annotations = pod.getJsonObject("metadata").getJsonObject("annotations");
        assertEquals("{\"cache\":\"ci/gomod\",\"outcome\":\"injected\"}", annotations.getString("modproxy.dev/injected"));
        assertEquals("a3b2f5e", annotations.getString("pipeline.tekton.dev/release"));
        assertTrue(patch(reply).getValuesAs(JsonObject.class).stream().allMatch(op -> "add".equals(op.getString("op"))));
        assertTrue(patch(reply).getValuesAs(JsonObject.class).stream()
                .anyMatch(op -> "/metadata/annotations/modproxy.dev~1injected".equals(op.getString("path"))));
        assertEquals("6f2b1c1e-8f0a-4a57-9d0c-1b7c2d9e4a11", response(reply).getString("uid"));
        assertTrue(response(reply).getBoolean("allowed"));
        assertEquals("JSONPatch", response(reply).getString("patchType"));
    }

    @Test
    void reinvocationOfAnInjectedPodAddsNothing() {
        byte[] review = review("tekton-taskrun-pod.json");
        JsonObject once = admittedPod(review, handle(review));

        byte[] second = handle(reinvocation(review, once));

        assertTrue(patch(second).isEmpty());
        assertTrue(response(second).getBoolean("allowed"));
    }

    @Test
    void jenkinsAgentPodNamingACacheGetsItInJnlpAndGolangContainers() {
        byte[] review = review("jenkins-agent-pod.json");
        JsonObject pod = admittedPod(review, handle(review));

        String goproxy = "http://gomod.jenkins-agents.svc:8080|https://proxy.golang.org";
        assertEquals(Map.of("JENKINS_URL", "http://jenkins.jenkins.svc.cluster.local:8080/", "HOME", "/home/jenkins",
                "GOPROXY", goproxy), env(pod, "containers", "golang"));
        Map<String, String> jnlp = env(pod, "containers", "jnlp");
        assertEquals(goproxy, jnlp.get("GOPROXY"));
        assertEquals("jenkins-agent.jenkins.svc.cluster.local:50000", jnlp.get("JENKINS_TUNNEL"));
        assertFalse(jnlp.containsKey("GOPRIVATE"), "the cache has no private patterns");
    }

    @Test
    void variablesThePodSetsAreNeverOverwritten() {
        byte[] review = review("pod-sets-goproxy.json");
        JsonObject pod = admittedPod(review, handle(review));

        // the container also reads envFrom build-defaults, which may set GONOPROXY and GONOSUMDB
        assertEquals(Map.of("GOPROXY", "https://goproxy.io,direct", "GOPRIVATE", "<valueFrom>"),
                env(pod, "containers", "build"));
    }

    @Test
    void envFromWithAPrefixLeavesOnlyTheNamesThatPrefixCanMake() {
        JsonObject original = AdmissionFixtures.json(review("pod-sets-goproxy.json"));
        JsonObject pod = original.getJsonObject("request").getJsonObject("object");
        JsonObject container = Json.createObjectBuilder(pod.getJsonObject("spec").getJsonArray("containers").getJsonObject(0))
                .remove("env")
                .add("envFrom", Json.createArrayBuilder().add(Json.createObjectBuilder().add("prefix", "GOP")
                        .add("configMapRef", Json.createObjectBuilder().add("name", "go-settings")))).build();
        JsonObject changed = Json.createObjectBuilder(pod).add("spec", Json.createObjectBuilder(pod.getJsonObject("spec"))
                .add("containers", Json.createArrayBuilder().add(container))).build();
        byte[] review = reinvocation(review("pod-sets-goproxy.json"), changed);

        byte[] reply = handle(review);

        assertEquals(Map.of("GONOPROXY", "git.corp.example.com/*", "GONOSUMDB", "git.corp.example.com/*,corp.example.com/*"),
                env(admittedPod(review, reply), "containers", "build"));
        assertEquals("modproxy: envFrom may set the Go variables; left to it in container(s) build",
                response(reply).getJsonArray("warnings").getString(0));
    }

    @Test
    void cacheThatIsNotReadyGivesTheFallbackChainAloneToInitAndMainContainers() {
        byte[] review = review("pod-with-init-containers.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        Map<String, String> fallback = Map.of("GOPROXY", "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct");
        assertEquals(fallback, env(pod, "initContainers", "go-mod-download"));
        assertEquals(fallback, env(pod, "containers", "vet"));
        assertEquals("{\"cache\":\"builds/mirror\",\"outcome\":\"fallback-only\"}",
                pod.getJsonObject("metadata").getJsonObject("annotations").getString("modproxy.dev/injected"));
        assertEquals("platform", pod.getJsonObject("metadata").getJsonObject("annotations")
                .getString("team.example.com/owner"));
        assertTrue(response(reply).getJsonArray("warnings").getString(0).contains("builds/mirror is not Ready"));
    }

    @Test
    void unlabeledPodInAnUnlabeledNamespaceIsAdmittedUnchanged() {
        byte[] reply = handle(review("unlabeled-pod.json"));

        assertTrue(patch(reply).isEmpty());
        assertTrue(response(reply).getBoolean("allowed"));
        assertEquals("5d4c3b2a-1908-4f7e-8d6c-5b4a39281706", response(reply).getString("uid"));
        assertFalse(response(reply).containsKey("warnings"));
    }

    @Test
    void namespaceLabelOptsInItsPodsUsingTheNamespaceAnnotationsCache() {
        directory.namespace("web", Map.of("modproxy.dev/inject", "enabled"), Map.of("modproxy.dev/cache", "shared/gomod"));
        byte[] review = review("unlabeled-pod.json");

        JsonObject pod = admittedPod(review, handle(review));

        assertEquals(Map.of("GOPROXY", "http://gomod.shared.svc:8080|https://proxy.golang.org,direct"),
                env(pod, "containers", "nginx"));
    }

    @Test
    void podLabelFalseOptsOutOfAnEnabledNamespace() {
        directory.namespace("web", Map.of("modproxy.dev/inject", "enabled"), Map.of("modproxy.dev/cache", "shared/gomod"));
        byte[] reply = handle(withPodLabel(review("unlabeled-pod.json"), "false"));

        assertTrue(patch(reply).isEmpty());
    }

    @Test
    void missingCacheLeavesThePodUnchangedAndWarns() {
        byte[] reply = handle(withPodLabel(review("tekton-taskrun-pod.json"), "no-such-cache"));

        assertTrue(patch(reply).isEmpty());
        assertTrue(response(reply).getBoolean("allowed"));
        assertEquals("modproxy: GoProxyCache ci/no-such-cache (from pod label modproxy.dev/inject) does not exist; "
                + "pod left unchanged", response(reply).getJsonArray("warnings").getString(0));
    }

    @Test
    void severalCachesInANamespaceNeedOneMarkedDefault() {
        directory.add(new CacheTarget(new CacheRef("ci", "second"), "http://second.ci.svc:8080", "https://proxy.golang.org",
                List.of(), List.of(), true, false));
        byte[] review = review("tekton-taskrun-pod.json");
        byte[] ambiguous = handle(review);
        assertTrue(patch(ambiguous).isEmpty());
        assertTrue(response(ambiguous).getJsonArray("warnings").getString(0).contains("none annotated modproxy.dev/default=true"));

        directory.add(new CacheTarget(new CacheRef("ci", "third"), "http://third.ci.svc:8080", "https://proxy.golang.org",
                List.of(), List.of(), true, true));
        JsonObject pod = admittedPod(review, handle(review));
        assertEquals("http://third.ci.svc:8080|https://proxy.golang.org", env(pod, "containers", "step-test").get("GOPROXY"));
    }

    @Test
    void operatorAndSystemNamespacesAreNeverMutated() {
        for (String namespace : List.of("kube-system", "modproxy")) {
            directory.add(new CacheTarget(new CacheRef(namespace, "gomod"), "http://gomod." + namespace + ".svc:8080",
                    "https://proxy.golang.org", List.of(), List.of(), true, false));
            byte[] reply = handle(inNamespace(review("tekton-taskrun-pod.json"), namespace));
            assertTrue(patch(reply).isEmpty(), namespace);
        }
    }

    @Test
    void updateIsAdmittedWithoutPatch() {
        byte[] reply = handle(review("pod-update.json"));

        assertTrue(patch(reply).isEmpty());
        assertTrue(response(reply).getBoolean("allowed"));
        assertEquals("a1b2c3d4-e5f6-4789-9abc-def012345678", response(reply).getString("uid"));
    }

    @Test
    void malformedJsonIsABadRequestWithTheReason() {
        AdmissionReviewHandler.Reply reply = handler.handle(review("malformed.json"));

        assertEquals(400, reply.status());
        assertTrue(new String(reply.body(), StandardCharsets.UTF_8).startsWith("malformed AdmissionReview: body is not JSON"));
        assertEquals(1.0, registry.get("modproxy.webhook.injections").tag("outcome", "error").counter().count());
    }

    @Test
    void reviewWithoutRequestIsABadRequest() {
        AdmissionReviewHandler.Reply reply = handler.handle(
                "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}".getBytes(StandardCharsets.UTF_8));

        assertEquals(400, reply.status());
        assertEquals("malformed AdmissionReview: no request\n", new String(reply.body(), StandardCharsets.UTF_8));
    }

    @Test
    void reviewWithAUidButNoObjectIsAllowedWithAStatusMessage() {
        JsonObject original = AdmissionFixtures.json(review("tekton-taskrun-pod.json"));
        JsonObject request = Json.createObjectBuilder(original.getJsonObject("request")).remove("object").build();
        byte[] reply = handle(Json.createObjectBuilder(original).add("request", request).build().toString()
                .getBytes(StandardCharsets.UTF_8));

        assertTrue(response(reply).getBoolean("allowed"));
        assertEquals("modproxy: request.object is missing",
                response(reply).getJsonObject("status").getString("message"));
        assertTrue(patch(reply).isEmpty());
    }

    @Test
    void outcomesAreCountedByKind() {
        handle(review("tekton-taskrun-pod.json"));
        handle(review("pod-with-init-containers.json"));
        handle(review("unlabeled-pod.json"));

        assertEquals(1.0, registry.get("modproxy.webhook.injections").tag("outcome", "injected").counter().count());
        assertEquals(1.0, registry.get("modproxy.webhook.injections").tag("outcome", "fallback-only").counter().count());
        assertEquals(1.0, registry.get("modproxy.webhook.injections").tag("outcome", "skipped").counter().count());
        assertEquals(3, registry.get("modproxy.webhook.review").timer().count());
    }

    static byte[] withPodLabel(byte[] review, String value) {
        JsonObject original = AdmissionFixtures.json(review);
        JsonObject pod = original.getJsonObject("request").getJsonObject("object");
        JsonObject metadata = pod.getJsonObject("metadata");
        JsonObject labels = Json.createObjectBuilder(metadata.getJsonObject("labels")).add("modproxy.dev/inject", value).build();
        JsonObject newPod = Json.createObjectBuilder(pod)
                .add("metadata", Json.createObjectBuilder(metadata).add("labels", labels)).build();
        return AdmissionFixtures.reinvocation(review, newPod);
    }

    static byte[] inNamespace(byte[] review, String namespace) {
        JsonObject original = AdmissionFixtures.json(review);
        JsonObject request = Json.createObjectBuilder(original.getJsonObject("request")).add("namespace", namespace).build();
        return Json.createObjectBuilder(original).add("request", request).build().toString().getBytes(StandardCharsets.UTF_8);
    }
}
