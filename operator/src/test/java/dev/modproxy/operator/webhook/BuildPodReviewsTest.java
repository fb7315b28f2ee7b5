package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.admittedPod;
import static dev.modproxy.operator.webhook.AdmissionFixtures.env;
import static dev.modproxy.operator.webhook.AdmissionFixtures.json;
import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.reinvocation;
import static dev.modproxy.operator.webhook.AdmissionFixtures.response;
import static dev.modproxy.operator.webhook.AdmissionFixtures.review;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Reviews shaped like what Tekton Pipelines and the Jenkins kubernetes plugin really send. */
class BuildPodReviewsTest {

    static final String CI_GOPROXY = "http://gomod.ci.svc.cluster.local:8080|https://goproxy.cn,direct";
    static final Map<String, String> CI_ENV = Map.of(
            "GOPROXY",
            CI_GOPROXY,
            "GOPRIVATE",
            "git.corp.example.com/*",
            "GONOPROXY",
            "git.corp.example.com/*",
            "GONOSUMDB",
            "git.corp.example.com/*");

    final InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
            .add(new CacheTarget(
                    new CacheRef("ci", "gomod"),
                    "http://gomod.ci.svc.cluster.local:8080",
                    "https://goproxy.cn,direct",
                    List.of("git.corp.example.com/*"),
                    List.of(),
                    true,
                    false))
            .add(new CacheTarget(
                    new CacheRef("jenkins-agents", "gomod"),
                    "http://gomod.jenkins-agents.svc:8080",
                    "https://proxy.golang.org",
                    List.of(),
                    List.of(),
                    true,
                    false));
    final AdmissionReviewHandler handler = new AdmissionReviewHandler(
            new PodMutator(directory, Set.of("kube-system", "modproxy")),
            new InjectionMetrics(new SimpleMeterRegistry()));

    byte[] handle(byte[] review) {
        AdmissionReviewHandler.Reply reply = handler.handle(review);
        assertThat(reply.status())
                .as(() -> new String(reply.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        assertThat(reply.contentType()).isEqualTo("application/json");
        return reply.body();
    }

    @Test
    void tektonPodGetsTheCacheInInitStepAndSidecarContainersKeepingTheirOwnEnvFirst() {
        byte[] review = review("tekton-v0.56-taskrun-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        assertThat(env(pod, "initContainers", "prepare")).isEqualTo(CI_ENV);
        assertThat(env(pod, "initContainers", "place-scripts")).isEqualTo(CI_ENV);
        assertThat(env(pod, "containers", "sidecar-registry")).isEqualTo(CI_ENV);
        Map<String, String> download = new LinkedHashMap<>();
        download.put("GOFLAGS", "-mod=mod");
        download.put("POD_NAME", "<valueFrom>");
        download.put("GITHUB_TOKEN", "<valueFrom>");
        download.put("HOME", "/tekton/home");
        download.put("GOPROXY", CI_GOPROXY);
        download.put("GOPRIVATE", "git.corp.example.com/*");
        download.put("GONOPROXY", "git.corp.example.com/*");
        download.put("GONOSUMDB", "git.corp.example.com/*");
        assertThat(List.copyOf(env(pod, "containers", "step-download").keySet()))
                .isEqualTo(List.copyOf(download.keySet()));
        assertThat(env(pod, "containers", "step-download")).isEqualTo(download);
        JsonObject step = pod.getJsonObject("spec").getJsonArray("containers").getJsonObject(0);
        assertThat(step.getJsonArray("env")
                        .getJsonObject(2)
                        .getJsonObject("valueFrom")
                        .getJsonObject("secretKeyRef")
                        .getString("name"))
                .as("valueFrom entries pass through untouched")
                .isEqualTo("github-token");

        JsonObject metadata = pod.getJsonObject("metadata");
        assertThat(metadata.getJsonObject("annotations").getString("modproxy.dev/injected"))
                .isEqualTo("{\"cache\":\"ci/gomod\",\"outcome\":\"injected\",\"envFrom\":[\"step-test\"]}");
        assertThat(metadata.getJsonObject("annotations").getString("pipeline.tekton.dev/release"))
                .isEqualTo("v0.56.1");
        assertThat(metadata.getJsonArray("ownerReferences").getJsonObject(0).getString("kind"))
                .isEqualTo("TaskRun");
        assertThat(patch(reply).getValuesAs(JsonObject.class).stream().allMatch(op -> "add".equals(op.getString("op"))))
                .isTrue();
        assertThat(response(reply).getString("uid")).isEqualTo("3e1b5f0c-7a7e-4c55-9a8e-0d6e2f4b9c18");
        assertThat(response(reply).getString("patchType")).isEqualTo("JSONPatch");
    }

    @Test
    void tektonStepTakingItsEnvFromAConfigMapKeepsWhatThatMaySetAndTheUserIsTold() {
        byte[] review = review("tekton-v0.56-taskrun-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        assertThat(env(pod, "containers", "step-test"))
                .as("go-build-env may define GOPROXY; it must win")
                .isEqualTo(Map.of());
        assertThat(response(reply).getJsonArray("warnings").getValuesAs(jakarta.json.JsonString.class).stream()
                        .map(jakarta.json.JsonString::getString)
                        .toList())
                .isEqualTo(List.of("modproxy: envFrom may set the Go variables; left to it in container(s) step-test"));
        assertThat(env(pod, "containers", "step-download").get("GOPROXY"))
                .as("prefix GIT_ cannot set it")
                .isEqualTo(CI_GOPROXY);
    }

    @Test
    void reinvokedTektonPodIsLeftAsItIs() {
        byte[] review = review("tekton-v0.56-taskrun-pod.json");
        JsonObject once = admittedPod(review, handle(review));

        byte[] again = handle(reinvocation(review, once));

        assertThat(patch(again).isEmpty()).isTrue();
        assertThat(response(again).containsKey("patchType")).isFalse();
        // the API server shows a warning repeated by a reinvocation once
        assertThat(response(again).getJsonArray("warnings").getString(0))
                .isEqualTo("modproxy: envFrom may set the Go variables; left to it in container(s) step-test");
    }

    @Test
    void podWithGenerateNameAndNoNamespaceInItsMetadataUsesTheRequestNamespace() {
        byte[] review = review("tekton-v0.56-taskrun-pod.json");
        JsonObject original = json(review);
        JsonObject request = original.getJsonObject("request");
        JsonObject pod = request.getJsonObject("object");
        JsonObject metadata = Json.createObjectBuilder(pod.getJsonObject("metadata"))
                .remove("name")
                .add("generateName", "payments-ci-r8x2q-unit-test-")
                .add("namespace", "")
                .build();
        byte[] generated = reinvocation(
                review, Json.createObjectBuilder(pod).add("metadata", metadata).build());

        JsonObject admitted = admittedPod(generated, handle(generated));

        assertThat(env(admitted, "containers", "step-download").get("GOPROXY")).isEqualTo(CI_GOPROXY);
        assertThat(admitted.getJsonObject("metadata").getString("generateName"))
                .isEqualTo("payments-ci-r8x2q-unit-test-");
    }

    @Test
    void jenkinsAgentPodGetsTheNamedCacheInTheGolangAndJnlpContainers() {
        byte[] review = review("jenkins-kubernetes-plugin-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        String goproxy = "http://gomod.jenkins-agents.svc:8080|https://proxy.golang.org";
        assertThat(env(pod, "containers", "golang")).isEqualTo(Map.of("GOPROXY", goproxy));
        Map<String, String> jnlp = env(pod, "containers", "jnlp");
        assertThat(List.copyOf(jnlp.keySet()))
                .isEqualTo(List.of(
                        "JENKINS_SECRET",
                        "JENKINS_TUNNEL",
                        "JENKINS_AGENT_NAME",
                        "REMOTING_OPTS",
                        "JENKINS_NAME",
                        "JENKINS_AGENT_WORKDIR",
                        "JENKINS_URL",
                        "GOPROXY"));
        assertThat(jnlp.get("GOPROXY")).isEqualTo(goproxy);
        JsonObject annotations = pod.getJsonObject("metadata").getJsonObject("annotations");
        assertThat(annotations.getString("runUrl")).isEqualTo("job/payments/job/main/42/");
        assertThat(annotations.getString("modproxy.dev/injected"))
                .isEqualTo("{\"cache\":\"jenkins-agents/gomod\",\"outcome\":\"injected\"}");
        assertThat(patch(reply).getValuesAs(JsonObject.class).stream()
                        .anyMatch(op -> "/metadata/annotations/modproxy.dev~1injected".equals(op.getString("path"))))
                .isTrue();
        assertThat(response(reply).getString("uid")).isEqualTo("8d3f6a2b-1c4e-4b7a-9f0d-5e2c8b1a7d40");
    }

    @Test
    void reinvocationAfterAnotherWebhookAddedASidecarPatchesOnlyThatSidecar() {
        byte[] review = review("jenkins-kubernetes-plugin-pod.json");
        JsonObject once = admittedPod(review, handle(review));
        JsonObject spec = once.getJsonObject("spec");
        JsonObject withSidecar = Json.createObjectBuilder(once)
                .add(
                        "spec",
                        Json.createObjectBuilder(spec)
                                .add(
                                        "containers",
                                        Json.createArrayBuilder(spec.getJsonArray("containers"))
                                                .add(Json.createObjectBuilder()
                                                        .add("name", "istio-proxy")
                                                        .add("image", "istio/proxyv2:1.22.0")
                                                        .add(
                                                                "env",
                                                                Json.createArrayBuilder()
                                                                        .add(Json.createObjectBuilder()
                                                                                .add("name", "ISTIO_META_POD_PORTS")
                                                                                .add("value", "[]"))))))
                .build();
        byte[] again = reinvocation(review, withSidecar);

        byte[] reply = handle(again);

        assertThat(patch(reply).getValuesAs(JsonObject.class).stream()
                        .map(op -> op.getString("path"))
                        .toList())
                .isEqualTo(List.of("/spec/containers/2/env/-"));
        assertThat(env(admittedPod(again, reply), "containers", "istio-proxy").get("GOPROXY"))
                .isEqualTo("http://gomod.jenkins-agents.svc:8080|https://proxy.golang.org");
    }

    @Test
    void dryRunAndAnOldObjectOnCreateChangeNothingInTheAnswer() {
        byte[] review = review("jenkins-kubernetes-plugin-pod.json");
        JsonObject original = json(review);
        JsonObject request = original.getJsonObject("request");
        byte[] dryRun = Json.createObjectBuilder(original)
                .add(
                        "request",
                        Json.createObjectBuilder(request)
                                .add("dryRun", true)
                                .add("oldObject", request.getJsonObject("object")))
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);

        assertThat(patch(handle(dryRun))).isEqualTo(patch(handle(review)));
    }

    @Test
    void podOfAboutAMegabyteGetsEveryContainerPatched() {
        JsonArrayBuilder containers = Json.createArrayBuilder();
        for (int c = 0; c < 120; c++) {
            JsonArrayBuilder env = Json.createArrayBuilder();
            for (int e = 0; e < 60; e++) {
                env.add(Json.createObjectBuilder().add("name", "VAR_" + e).add("value", "v".repeat(120)));
            }
            containers.add(Json.createObjectBuilder()
                    .add("name", "step-" + c)
                    .add("image", "golang:1.26")
                    .add("env", env));
        }
        byte[] review = reviewOf(Json.createObjectBuilder()
                .add("apiVersion", "v1")
                .add("kind", "Pod")
                .add(
                        "metadata",
                        Json.createObjectBuilder()
                                .add("generateName", "big-")
                                .add("labels", Json.createObjectBuilder().add("modproxy.dev/inject", "true")))
                .add("spec", Json.createObjectBuilder().add("containers", containers))
                .build());
        assertThat(review.length > 900_000)
                .as("the review is " + review.length + " bytes")
                .isTrue();

        JsonObject pod = admittedPod(review, handle(review));

        for (int c = 0; c < 120; c++) {
            Map<String, String> env = env(pod, "containers", "step-" + c);
            assertThat(env.size()).isEqualTo(64);
            assertThat(env.get("GOPROXY")).isEqualTo(CI_GOPROXY);
        }
    }

    @Test
    void unicodeLabelsAndAnnotationsSurviveThePatch() {
        byte[] review = reviewOf(Json.createObjectBuilder()
                .add("apiVersion", "v1")
                .add("kind", "Pod")
                .add(
                        "metadata",
                        Json.createObjectBuilder()
                                .add("name", "构建-1")
                                .add("labels", Json.createObjectBuilder().add("modproxy.dev/inject", "true"))
                                .add(
                                        "annotations",
                                        Json.createObjectBuilder()
                                                .add("description", "构建 Go 模块 🚀 ü")
                                                .add("example.com/a~b/c", "tilde and slash")))
                .add(
                        "spec",
                        Json.createObjectBuilder()
                                .add(
                                        "containers",
                                        Json.createArrayBuilder()
                                                .add(Json.createObjectBuilder()
                                                        .add("name", "go")
                                                        .add("image", "golang:1.26"))))
                .build());

        JsonObject pod = admittedPod(review, handle(review));

        JsonObject annotations = pod.getJsonObject("metadata").getJsonObject("annotations");
        assertThat(annotations.getString("description")).isEqualTo("构建 Go 模块 🚀 ü");
        assertThat(annotations.getString("example.com/a~b/c")).isEqualTo("tilde and slash");
        assertThat(annotations.containsKey("modproxy.dev/injected")).isTrue();
        assertThat(env(pod, "containers", "go").get("GOPROXY")).isEqualTo(CI_GOPROXY);
    }

    static byte[] reviewOf(JsonObject pod) {
        return Json.createObjectBuilder()
                .add("apiVersion", "admission.k8s.io/v1")
                .add("kind", "AdmissionReview")
                .add(
                        "request",
                        Json.createObjectBuilder()
                                .add("uid", "b7e0c1d2-0000-4000-8000-000000000001")
                                .add(
                                        "kind",
                                        Json.createObjectBuilder()
                                                .add("group", "")
                                                .add("version", "v1")
                                                .add("kind", "Pod"))
                                .add(
                                        "resource",
                                        Json.createObjectBuilder()
                                                .add("group", "")
                                                .add("version", "v1")
                                                .add("resource", "pods"))
                                .add("namespace", "ci")
                                .add("operation", "CREATE")
                                .add("object", pod))
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);
    }
}
