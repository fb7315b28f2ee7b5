package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.admittedPod;
import static dev.modproxy.operator.webhook.AdmissionFixtures.env;
import static dev.modproxy.operator.webhook.AdmissionFixtures.json;
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
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Reviews shaped like what Tekton Pipelines and the Jenkins kubernetes plugin really send. */
class BuildPodReviewsTest {

    static final String CI_GOPROXY = "http://gomod.ci.svc.cluster.local:8080|https://goproxy.cn,direct";
    static final Map<String, String> CI_ENV = Map.of("GOPROXY", CI_GOPROXY, "GOPRIVATE", "git.corp.example.com/*",
            "GONOPROXY", "git.corp.example.com/*", "GONOSUMDB", "git.corp.example.com/*");

    final InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
            .add(new CacheTarget(new CacheRef("ci", "gomod"), "http://gomod.ci.svc.cluster.local:8080",
                    "https://goproxy.cn,direct", List.of("git.corp.example.com/*"), List.of(), true, false))
            .add(new CacheTarget(new CacheRef("jenkins-agents", "gomod"), "http://gomod.jenkins-agents.svc:8080",
                    "https://proxy.golang.org", List.of(), List.of(), true, false));
    final AdmissionReviewHandler handler = new AdmissionReviewHandler(
            new PodMutator(directory, Set.of("kube-system", "modproxy")), new InjectionMetrics(new SimpleMeterRegistry()));

    byte[] handle(byte[] review) {
        AdmissionReviewHandler.Reply reply = handler.handle(review);
        assertEquals(200, reply.status(), () -> new String(reply.body(), StandardCharsets.UTF_8));
        assertEquals("application/json", reply.contentType());
        return reply.body();
    }

    @Test
    void tektonPodGetsTheCacheInInitStepAndSidecarContainersKeepingTheirOwnEnvFirst() {
        byte[] review = review("tekton-v0.56-taskrun-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        assertEquals(CI_ENV, env(pod, "initContainers", "prepare"));
        assertEquals(CI_ENV, env(pod, "initContainers", "place-scripts"));
        assertEquals(CI_ENV, env(pod, "containers", "sidecar-registry"));
        Map<String, String> download = new LinkedHashMap<>();
        download.put("GOFLAGS", "-mod=mod");
        download.put("POD_NAME", "<valueFrom>");
        download.put("GITHUB_TOKEN", "<valueFrom>");
        download.put("HOME", "/tekton/home");
        download.put("GOPROXY", CI_GOPROXY);
        download.put("GOPRIVATE", "git.corp.example.com/*");
        download.put("GONOPROXY", "git.corp.example.com/*");
        download.put("GONOSUMDB", "git.corp.example.com/*");
        assertEquals(List.copyOf(download.keySet()), List.copyOf(env(pod, "containers", "step-download").keySet()));
        assertEquals(download, env(pod, "containers", "step-download"));
        JsonObject step = pod.getJsonObject("spec").getJsonArray("containers").getJsonObject(0);
        assertEquals("github-token", step.getJsonArray("env").getJsonObject(2).getJsonObject("valueFrom")
                .getJsonObject("secretKeyRef").getString("name"), "valueFrom entries pass through untouched");

        JsonObject metadata = pod.getJsonObject("metadata");
        assertEquals("{\"cache\":\"ci/gomod\",\"outcome\":\"injected\",\"envFrom\":[\"step-test\"]}",
                metadata.getJsonObject("annotations").getString("modproxy.dev/injected"));
        assertEquals("v0.56.1", metadata.getJsonObject("annotations").getString("pipeline.tekton.dev/release"));
        assertEquals("TaskRun", metadata.getJsonArray("ownerReferences").getJsonObject(0).getString("kind"));
        assertTrue(patch(reply).getValuesAs(JsonObject.class).stream().allMatch(op -> "add".equals(op.getString("op"))));
        assertEquals("3e1b5f0c-7a7e-4c55-9a8e-0d6e2f4b9c18", response(reply).getString("uid"));
        assertEquals("JSONPatch", response(reply).getString("patchType"));
    }

    @Test
    void tektonStepTakingItsEnvFromAConfigMapKeepsWhatThatMaySetAndTheUserIsTold() {
        byte[] review = review("tekton-v0.56-taskrun-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        assertEquals(Map.of(), env(pod, "containers", "step-test"), "go-build-env may define GOPROXY; it must win");
        assertEquals(List.of("modproxy: envFrom may set the Go variables; left to it in container(s) step-test"),
                response(reply).getJsonArray("warnings").getValuesAs(jakarta.json.JsonString.class).stream()
                        .map(jakarta.json.JsonString::getString).toList());
        assertEquals(CI_GOPROXY, env(pod, "containers", "step-download").get("GOPROXY"), "prefix GIT_ cannot set it");
    }

    @Test
    void reinvokedTektonPodIsLeftAsItIs() {
        byte[] review = review("tekton-v0.56-taskrun-pod.json");
        JsonObject once = admittedPod(review, handle(review));

        byte[] again = handle(reinvocation(review, once));

        assertTrue(patch(again).isEmpty());
        assertFalse(response(again).containsKey("patchType"));
        // the API server shows a warning repeated by a reinvocation once
        assertEquals("modproxy: envFrom may set the Go variables; left to it in container(s) step-test",
                response(again).getJsonArray("warnings").getString(0));
    }

    @Test
    void podWithGenerateNameAndNoNamespaceInItsMetadataUsesTheRequestNamespace() {
        byte[] review = review("tekton-v0.56-taskrun-pod.json");
        JsonObject original = json(review);
        JsonObject request = original.getJsonObject("request");
        JsonObject pod = request.getJsonObject("object");
        JsonObject metadata = Json.createObjectBuilder(pod.getJsonObject("metadata")).remove("name")
                .add("generateName", "payments-ci-r8x2q-unit-test-").add("namespace", "").build();
        byte[] generated = reinvocation(review, Json.createObjectBuilder(pod).add("metadata", metadata).build());

        JsonObject admitted = admittedPod(generated, handle(generated));

        assertEquals(CI_GOPROXY, env(admitted, "containers", "step-download").get("GOPROXY"));
        assertEquals("payments-ci-r8x2q-unit-test-", admitted.getJsonObject("metadata").getString("generateName"));
    }

    @Test
    void jenkinsAgentPodGetsTheNamedCacheInTheGolangAndJnlpContainers() {
        byte[] review = review("jenkins-kubernetes-plugin-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        String goproxy = "http://gomod.jenkins-agents.svc:8080|https://proxy.golang.org";
        assertEquals(Map.of("GOPROXY", goproxy), env(pod, "containers", "golang"));
        Map<String, String> jnlp = env(pod, "containers", "jnlp");
        assertEquals(List.of("JENKINS_SECRET", "JENKINS_TUNNEL", "JENKINS_AGENT_NAME", "REMOTING_OPTS", "JENKINS_NAME",
                "JENKINS_AGENT_WORKDIR", "JENKINS_URL", "GOPROXY"), List.copyOf(jnlp.keySet()));
        assertEquals(goproxy, jnlp.get("GOPROXY"));
        JsonObject annotations = pod.getJsonObject("metadata").getJsonObject("annotations");
        assertEquals("job/payments/job/main/42/", annotations.getString("runUrl"));
        assertEquals("{\"cache\":\"jenkins-agents/gomod\",\"outcome\":\"injected\"}",
                annotations.getString("modproxy.dev/injected"));
        assertTrue(patch(reply).getValuesAs(JsonObject.class).stream()
                .anyMatch(op -> "/metadata/annotations/modproxy.dev~1injected".equals(op.getString("path"))));
        assertEquals("8d3f6a2b-1c4e-4b7a-9f0d-5e2c8b1a7d40", response(reply).getString("uid"));
    }

    @Test
    void reinvocationAfterAnotherWebhookAddedASidecarPatchesOnlyThatSidecar() {
        byte[] review = review("jenkins-kubernetes-plugin-pod.json");
        JsonObject once = admittedPod(review, handle(review));
        JsonObject spec = once.getJsonObject("spec");
        JsonObject withSidecar = Json.createObjectBuilder(once).add("spec", Json.createObjectBuilder(spec)
                .add("containers", Json.createArrayBuilder(spec.getJsonArray("containers"))
                        .add(Json.createObjectBuilder().add("name", "istio-proxy").add("image", "istio/proxyv2:1.22.0")
                                .add("env", Json.createArrayBuilder().add(Json.createObjectBuilder()
                                        .add("name", "ISTIO_META_POD_PORTS").add("value", "[]")))))).build();
        byte[] again = reinvocation(review, withSidecar);

        byte[] reply = handle(again);

        assertEquals(List.of("/spec/containers/2/env/-"), patch(reply).getValuesAs(JsonObject.class).stream()
                .map(op -> op.getString("path")).toList());
        assertEquals("http://gomod.jenkins-agents.svc:8080|https://proxy.golang.org",
                env(admittedPod(again, reply), "containers", "istio-proxy").get("GOPROXY"));
    }

    @Test
    void dryRunAndAnOldObjectOnCreateChangeNothingInTheAnswer() {
        byte[] review = review("jenkins-kubernetes-plugin-pod.json");
        JsonObject original = json(review);
        JsonObject request = original.getJsonObject("request");
        byte[] dryRun = Json.createObjectBuilder(original).add("request", Json.createObjectBuilder(request)
                .add("dryRun", true).add("oldObject", request.getJsonObject("object"))).build().toString()
                .getBytes(StandardCharsets.UTF_8);

        assertEquals(patch(handle(review)), patch(handle(dryRun)));
    }

    @Test
    void podOfAboutAMegabyteGetsEveryContainerPatched() {
        JsonArrayBuilder containers = Json.createArrayBuilder();
        for (int c = 0; c < 120; c++) {
            JsonArrayBuilder env = Json.createArrayBuilder();
            for (int e = 0; e < 60; e++) {
                env.add(Json.createObjectBuilder().add("name", "VAR_" + e).add("value", "v".repeat(120)));
            }
            containers.add(Json.createObjectBuilder().add("name", "step-" + c).add("image", "golang:1.22").add("env", env));
        }
        byte[] review = reviewOf(Json.createObjectBuilder().add("apiVersion", "v1").add("kind", "Pod")
                .add("metadata", Json.createObjectBuilder().add("generateName", "big-")
                        .add("labels", Json.createObjectBuilder().add("modproxy.dev/inject", "true")))
                .add("spec", Json.createObjectBuilder().add("containers", containers)).build());
        assertTrue(review.length > 900_000, "the review is " + review.length + " bytes");

        JsonObject pod = admittedPod(review, handle(review));

        for (int c = 0; c < 120; c++) {
            Map<String, String> env = env(pod, "containers", "step-" + c);
            assertEquals(64, env.size());
            assertEquals(CI_GOPROXY, env.get("GOPROXY"));
        }
    }

    @Test
    void unicodeLabelsAndAnnotationsSurviveThePatch() {
        byte[] review = reviewOf(Json.createObjectBuilder().add("apiVersion", "v1").add("kind", "Pod")
                .add("metadata", Json.createObjectBuilder().add("name", "构建-1")
                        .add("labels", Json.createObjectBuilder().add("modproxy.dev/inject", "true"))
                        .add("annotations", Json.createObjectBuilder().add("description", "构建 Go 模块 🚀 ü")
                                .add("example.com/a~b/c", "tilde and slash")))
                .add("spec", Json.createObjectBuilder().add("containers", Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("name", "go").add("image", "golang:1.22")))).build());

        JsonObject pod = admittedPod(review, handle(review));

        JsonObject annotations = pod.getJsonObject("metadata").getJsonObject("annotations");
        assertEquals("构建 Go 模块 🚀 ü", annotations.getString("description"));
        assertEquals("tilde and slash", annotations.getString("example.com/a~b/c"));
        assertTrue(annotations.containsKey("modproxy.dev/injected"));
        assertEquals(CI_GOPROXY, env(pod, "containers", "go").get("GOPROXY"));
    }

    static byte[] reviewOf(JsonObject pod) {
        return Json.createObjectBuilder().add("apiVersion", "admission.k8s.io/v1").add("kind", "AdmissionReview")
                .add("request", Json.createObjectBuilder().add("uid", "b7e0c1d2-0000-4000-8000-000000000001")
                        .add("kind", Json.createObjectBuilder().add("group", "").add("version", "v1").add("kind", "Pod"))
                        .add("resource", Json.createObjectBuilder().add("group", "").add("version", "v1").add("resource", "pods"))
                        .add("namespace", "ci").add("operation", "CREATE").add("object", pod))
                .build().toString().getBytes(StandardCharsets.UTF_8);
    }
}
