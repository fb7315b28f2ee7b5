package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.admittedPod;
import static dev.modproxy.operator.webhook.AdmissionFixtures.env;
import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.reinvocation;
import static dev.modproxy.operator.webhook.AdmissionFixtures.response;
import static dev.modproxy.operator.webhook.AdmissionFixtures.review;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class PodMutationTest {

    static final String CI_CACHE_URL = "http://gomod.ci.svc.cluster.local:8080";
    static final String CI_GOPROXY = CI_CACHE_URL + "|https://goproxy.cn,direct";

    final InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
            .add(new CacheTarget(
                    new CacheRef("ci", "gomod"),
                    CI_CACHE_URL,
                    "https://goproxy.cn,direct",
                    List.of("git.corp.example.com/*"),
                    List.of("corp.example.com/*"),
                    true,
                    false))
            .add(new CacheTarget(
                    new CacheRef("jenkins-agents", "gomod"),
                    "http://gomod.jenkins-agents.svc:8080",
                    "https://proxy.golang.org",
                    List.of(),
                    List.of(),
                    true,
                    false))
            .add(new CacheTarget(
                    new CacheRef("builds", "mirror"),
                    "http://mirror.builds.svc:8080",
                    "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct",
                    List.of(),
                    List.of(),
                    false,
                    false))
            .add(new CacheTarget(
                    new CacheRef("shared", "gomod"),
                    "http://gomod.shared.svc:8080",
                    "https://proxy.golang.org,direct",
                    List.of(),
                    List.of(),
                    true,
                    false))
            .namespace("web", Map.of(), Map.of())
            .namespace("ci", Map.of(), Map.of());
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final AdmissionReviewHandler handler = new AdmissionReviewHandler(
            new PodMutator(directory, Set.of("kube-system", "modproxy")), new InjectionMetrics(registry));

    byte[] handle(byte[] review) {
        AdmissionReviewHandler.Reply reply = handler.handle(review);
        assertThat(reply.status())
                .as(() -> new String(reply.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        return reply.body();
    }

    @Test
    void tektonTaskRunPodGetsTheCacheInEveryStepAndInitContainer() {
        byte[] review = review("tekton-taskrun-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        Map<String, String> injected = Map.of(
                "GOPROXY",
                CI_GOPROXY,
                "GOPRIVATE",
                "git.corp.example.com/*",
                "GONOPROXY",
                "git.corp.example.com/*",
                "GONOSUMDB",
                "git.corp.example.com/*,corp.example.com/*");
        assertThat(env(pod, "initContainers", "prepare")).isEqualTo(injected);
        assertThat(env(pod, "initContainers", "place-scripts")).isEqualTo(injected);
        assertThat(env(pod, "containers", "step-test")).isEqualTo(injected);
        Map<String, String> build = new LinkedHashMap<>();
        build.put("GOFLAGS", "-mod=readonly");
        build.put("CGO_ENABLED", "0");
        build.put("HOME", "/tekton/home");
        build.putAll(Map.of(
                "GOPROXY",
                CI_GOPROXY,
                "GOPRIVATE",
                "git.corp.example.com/*",
                "GONOPROXY",
                "git.corp.example.com/*",
                "GONOSUMDB",
                "git.corp.example.com/*,corp.example.com/*"));
        assertThat(env(pod, "containers", "step-build")).isEqualTo(build);

        JsonObject annotations = pod.getJsonObject("metadata").getJsonObject("annotations");
        assertThat(annotations.getString("modproxy.dev/injected"))
                .isEqualTo("{\"cache\":\"ci/gomod\",\"outcome\":\"injected\"}");
        assertThat(annotations.getString("pipeline.tekton.dev/release")).isEqualTo("a3b2f5e");
        assertThat(patch(reply).getValuesAs(JsonObject.class).stream().allMatch(op -> "add".equals(op.getString("op"))))
                .isTrue();
        assertThat(patch(reply).getValuesAs(JsonObject.class).stream()
                        .anyMatch(op -> "/metadata/annotations/modproxy.dev~1injected".equals(op.getString("path"))))
                .isTrue();
        assertThat(response(reply).getString("uid")).isEqualTo("6f2b1c1e-8f0a-4a57-9d0c-1b7c2d9e4a11");
        assertThat(response(reply).getBoolean("allowed")).isTrue();
        assertThat(response(reply).getString("patchType")).isEqualTo("JSONPatch");
    }

    @Test
    void reinvocationOfAnInjectedPodAddsNothing() {
        byte[] review = review("tekton-taskrun-pod.json");
        JsonObject once = admittedPod(review, handle(review));

        byte[] second = handle(reinvocation(review, once));

        assertThat(patch(second).isEmpty()).isTrue();
        assertThat(response(second).getBoolean("allowed")).isTrue();
    }

    @Test
    void jenkinsAgentPodNamingACacheGetsItInJnlpAndGolangContainers() {
        byte[] review = review("jenkins-agent-pod.json");
        JsonObject pod = admittedPod(review, handle(review));

        String goproxy = "http://gomod.jenkins-agents.svc:8080|https://proxy.golang.org";
        assertThat(env(pod, "containers", "golang"))
                .isEqualTo(Map.of(
                        "JENKINS_URL",
                        "http://jenkins.jenkins.svc.cluster.local:8080/",
                        "HOME",
                        "/home/jenkins",
                        "GOPROXY",
                        goproxy));
        Map<String, String> jnlp = env(pod, "containers", "jnlp");
        assertThat(jnlp.get("GOPROXY")).isEqualTo(goproxy);
        assertThat(jnlp.get("JENKINS_TUNNEL")).isEqualTo("jenkins-agent.jenkins.svc.cluster.local:50000");
        assertThat(jnlp.containsKey("GOPRIVATE"))
                .as("the cache has no private patterns")
                .isFalse();
    }

    @Test
    void variablesThePodSetsAreNeverOverwritten() {
        byte[] review = review("pod-sets-goproxy.json");
        JsonObject pod = admittedPod(review, handle(review));

        // the container also reads envFrom build-defaults, which may set GONOPROXY and GONOSUMDB
        assertThat(env(pod, "containers", "build"))
                .isEqualTo(Map.of("GOPROXY", "https://goproxy.io,direct", "GOPRIVATE", "<valueFrom>"));
    }

    @Test
    void envFromWithAPrefixLeavesOnlyTheNamesThatPrefixCanMake() {
        byte[] review = withBuildContainer(container -> container
                .remove("env")
                .add(
                        "envFrom",
                        Json.createArrayBuilder()
                                .add(Json.createObjectBuilder()
                                        .add("prefix", "GOP")
                                        .add(
                                                "configMapRef",
                                                Json.createObjectBuilder().add("name", "go-settings")))));

        byte[] reply = handle(review);

        assertThat(env(admittedPod(review, reply), "containers", "build"))
                .as("the envFrom may set GOPRIVATE: the kubelet puts it at the end of the cache's patterns")
                .isEqualTo(Map.of(
                        "GONOPROXY",
                        "git.corp.example.com/*,$(GOPRIVATE)",
                        "GONOSUMDB",
                        "git.corp.example.com/*,corp.example.com/*,$(GOPRIVATE)"));
        assertThat(response(reply).getJsonArray("warnings").getString(0))
                .isEqualTo("modproxy: envFrom may set the Go variables; left to it in container(s) build");
    }

    @Test
    void aGoPrivateTheContainerSetsStillExemptsItsPathsFromTheProxyAndTheChecksumDatabase() {
        for (JsonObject own : List.of(
                Json.createObjectBuilder()
                        .add("name", "GOPRIVATE")
                        .add("value", "git.team.example.com/*")
                        .build(),
                Json.createObjectBuilder()
                        .add("name", "GOPRIVATE")
                        .add(
                                "valueFrom",
                                Json.createObjectBuilder()
                                        .add(
                                                "configMapKeyRef",
                                                Json.createObjectBuilder()
                                                        .add("name", "go")
                                                        .add("key", "private")))
                        .build())) {
            byte[] review = withBuildContainer(container -> container
                    .remove("envFrom")
                    .add("env", Json.createArrayBuilder().add(own)));

            Map<String, String> env = env(admittedPod(review, handle(review)), "containers", "build");

            assertThat(env)
                    .as("GONOPROXY and GONOSUMDB set explicitly would no longer be derived from the container's "
                            + "GOPRIVATE, so they refer to it, and the kubelet expands the reference")
                    .containsEntry("GOPRIVATE", own.containsKey("value") ? "git.team.example.com/*" : "<valueFrom>")
                    .containsEntry("GONOPROXY", "git.corp.example.com/*,$(GOPRIVATE)")
                    .containsEntry("GONOSUMDB", "git.corp.example.com/*,corp.example.com/*,$(GOPRIVATE)")
                    .containsKey("GOPROXY");
        }
    }

    @Test
    void aGoNoProxyTheContainerSetsStillExemptsTheCachesPrivatePathsFromTheFallback() {
        byte[] review = withBuildContainer(container -> container
                .remove("envFrom")
                .add(
                        "env",
                        Json.createArrayBuilder()
                                .add(plain("GONOPROXY", "other.corp/*"))
                                .add(plain("GONOSUMDB", "other.corp/*"))));

        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        assertThat(env(pod, "containers", "build"))
                .as("the go command reads GONOPROXY and GONOSUMDB before GOPRIVATE: they must name the cache's "
                        + "private paths too, or a miss of the cache goes on to its public fallback")
                .isEqualTo(Map.of(
                        "GONOPROXY", "other.corp/*,git.corp.example.com/*",
                        "GONOSUMDB", "other.corp/*,git.corp.example.com/*,corp.example.com/*",
                        "GOPROXY", CI_GOPROXY,
                        "GOPRIVATE", "git.corp.example.com/*"));
        assertThat(response(reply).containsKey("warnings")).isFalse();
        assertThat(patch(handle(reinvocation(review, pod))))
                .as("called again, the webhook finds the patterns it appended")
                .isEmpty();
    }

    /**
     * docs/injection.md: of two entries with one name the kubelet gives the container the later, so that one gets the
     * cache's patterns; GOFLAGS (-mod=vendor) is neither read nor changed; a Windows pod gets the same variables; a
     * long env (10,000 entries) is appended to, not rewritten.
     */
    @Test
    void duplicateNamesGoflagsWindowsAndALongEnvAreTakenAsTheKubeletTakesThem() {
        jakarta.json.JsonArrayBuilder own = Json.createArrayBuilder()
                .add(plain("GONOPROXY", "a.example/*"))
                .add(plain("GOFLAGS", "-mod=vendor -insecure"));
        for (int i = 0; i < 10_000; i++) {
            own.add(plain("V" + i, "x"));
        }
        own.add(plain("GONOPROXY", "b.example/*"));
        byte[] linux =
                withBuildContainer(container -> container.remove("envFrom").add("env", own));
        JsonObject linuxPod =
                AdmissionFixtures.json(linux).getJsonObject("request").getJsonObject("object");
        JsonObject windowsPod = Json.createObjectBuilder(linuxPod)
                .add(
                        "spec",
                        Json.createObjectBuilder(linuxPod.getJsonObject("spec"))
                                .add("os", Json.createObjectBuilder().add("name", "windows")))
                .build();

        for (byte[] review : List.of(linux, reinvocation(linux, windowsPod))) {
            byte[] reply = handle(review);
            JsonObject pod = admittedPod(review, reply);
            List<JsonObject> env = pod.getJsonObject("spec")
                    .getJsonArray("containers")
                    .getJsonObject(0)
                    .getJsonArray("env")
                    .getValuesAs(JsonObject.class);

            assertThat(env).hasSize(10_003 + 3);
            assertThat(env.get(0).getString("value"))
                    .as("the entry the kubelet overrides")
                    .isEqualTo("a.example/*");
            assertThat(env.get(10_002).getString("value")).isEqualTo("b.example/*,git.corp.example.com/*");
            assertThat(env(pod, "containers", "build"))
                    .containsEntry("GOFLAGS", "-mod=vendor -insecure")
                    .containsEntry("GOPROXY", CI_GOPROXY)
                    .containsEntry("GONOPROXY", "b.example/*,git.corp.example.com/*")
                    .containsEntry("GONOSUMDB", "git.corp.example.com/*,corp.example.com/*");
            assertThat(patch(reply))
                    .as("three appended, one value changed, the annotation")
                    .hasSize(5);
        }
    }

    @Test
    void aGoNoProxyThatListsTheCachesPatternsAlreadyIsKeptAsWritten() {
        byte[] review = withBuildContainer(container -> container
                .remove("envFrom")
                .add(
                        "env",
                        Json.createArrayBuilder()
                                .add(plain("GONOPROXY", "git.corp.example.com/*, other.corp/*"))
                                .add(plain("GONOSUMDB", "*"))));

        Map<String, String> env = env(admittedPod(review, handle(review)), "containers", "build");

        assertThat(env)
                .containsEntry("GONOPROXY", "git.corp.example.com/*, other.corp/*")
                .as("a wider pattern is not recognised as covering the cache's: appending them changes nothing")
                .containsEntry("GONOSUMDB", "*,git.corp.example.com/*,corp.example.com/*");
    }

    @Test
    void aBlankEdgedItemOfTheContainersGoNoProxyDoesNotCountAsTheCachesPattern() {
        byte[] review = withBuildContainer(container -> container
                .remove("envFrom")
                .add("env", Json.createArrayBuilder().add(plain("GONOPROXY", "other.corp/*, git.corp.example.com/*"))));

        Map<String, String> env = env(admittedPod(review, handle(review)), "containers", "build");

        assertThat(env)
                .as("the go command reads \" git.corp.example.com/*\" as written, a glob no module path matches: the "
                        + "cache's own pattern must still be appended, or the private path goes to the fallback")
                .containsEntry("GONOPROXY", "other.corp/*, git.corp.example.com/*,git.corp.example.com/*");
    }

    @Test
    void aContainerWithAGoProxyOfItsOwnKeepsItsGoNoProxy() {
        byte[] review = withBuildContainer(container -> container
                .remove("envFrom")
                .add(
                        "env",
                        Json.createArrayBuilder()
                                .add(plain("GOPROXY", "https://goproxy.corp.example.com"))
                                .add(plain("GONOPROXY", "none"))));

        byte[] reply = handle(review);

        assertThat(env(admittedPod(review, reply), "containers", "build"))
                .as("the cache's fallback is not asked: private modules may go to the container's own proxy")
                .containsEntry("GONOPROXY", "none");
        assertThat(response(reply).containsKey("warnings")).isFalse();
    }

    @Test
    void anEmptyGoNoProxyIsUnsetToTheGoCommandSoItGetsTheWebhooksValue() {
        byte[] review = withBuildContainer(container -> container
                .remove("envFrom")
                .add(
                        "env",
                        Json.createArrayBuilder()
                                .add(plain("GOPRIVATE", "git.team.example.com/*"))
                                .add(plain("GONOPROXY", ""))));

        JsonObject pod = admittedPod(review, handle(review));

        assertThat(env(pod, "containers", "build"))
                .as("empty, GONOPROXY would be derived from the container's GOPRIVATE alone")
                .containsEntry("GONOPROXY", "git.corp.example.com/*,$(GOPRIVATE)")
                .containsEntry("GONOSUMDB", "git.corp.example.com/*,corp.example.com/*,$(GOPRIVATE)");
        assertThat(patch(handle(reinvocation(review, pod)))).isEmpty();
    }

    /**
     * The kubelet expands a reference in an env value with the variables listed before it. Listed in alphabetical
     * order, as a template with empty parameters writes them, GONOPROXY and GONOSUMDB come before GOPRIVATE: there a
     * {@code $(GOPRIVATE)} stayed as written, and the container's private paths went to the cache's fallback.
     */
    @Test
    void anEmptyGoNoProxyListedBeforeTheContainersGoPrivateStillExemptsItsPaths() {
        JsonObject fromConfigMap = Json.createObjectBuilder()
                .add("name", "GOPRIVATE")
                .add(
                        "valueFrom",
                        Json.createObjectBuilder()
                                .add(
                                        "configMapKeyRef",
                                        Json.createObjectBuilder()
                                                .add("name", "go")
                                                .add("key", "private")))
                .build();
        for (JsonObject goPrivate : List.of(plain("GOPRIVATE", "git.team.example.com/*"), fromConfigMap)) {
            byte[] review = withBuildContainer(container -> container
                    .remove("envFrom")
                    .add(
                            "env",
                            Json.createArrayBuilder()
                                    .add(plain("GONOPROXY", ""))
                                    .add(plain("GONOSUMDB", ""))
                                    .add(goPrivate)));

            JsonObject pod = admittedPod(review, handle(review));

            assertThat(KubeletExpansion.environment(
                            AdmissionFixtures.container(pod, "containers", "build"),
                            Map.of("GOPRIVATE", "git.team.example.com/*")))
                    .as("what the go command in the container sees, GOPRIVATE %s", goPrivate)
                    .containsEntry("GOPRIVATE", "git.team.example.com/*")
                    .containsEntry("GONOPROXY", "git.corp.example.com/*,git.team.example.com/*")
                    .containsEntry("GONOSUMDB", "git.corp.example.com/*,corp.example.com/*,git.team.example.com/*");
            assertThat(patch(handle(reinvocation(review, pod)))).isEmpty();
        }
    }

    @Test
    void aGoNoProxyTheWebhookCannotReadIsLeftWithAWarningSayingWhatToAdd() {
        byte[] review = withBuildContainer(container -> container
                .remove("envFrom")
                .add(
                        "env",
                        Json.createArrayBuilder()
                                .add(Json.createObjectBuilder()
                                        .add("name", "GONOPROXY")
                                        .add(
                                                "valueFrom",
                                                Json.createObjectBuilder()
                                                        .add(
                                                                "configMapKeyRef",
                                                                Json.createObjectBuilder()
                                                                        .add("name", "go")
                                                                        .add("key", "noproxy")))))
                .add(
                        "envFrom",
                        Json.createArrayBuilder()
                                .add(Json.createObjectBuilder()
                                        .add("prefix", "GONOSUM")
                                        .add(
                                                "configMapRef",
                                                Json.createObjectBuilder().add("name", "go-settings")))));

        byte[] reply = handle(review);

        assertThat(env(admittedPod(review, reply), "containers", "build"))
                .isEqualTo(Map.of(
                        "GONOPROXY", "<valueFrom>", "GOPROXY", CI_GOPROXY, "GOPRIVATE", "git.corp.example.com/*"));
        assertThat(response(reply).getJsonArray("warnings").getValuesAs(jakarta.json.JsonString::getString))
                .containsExactly(
                        "modproxy: private modules may reach the fallback: add ci/gomod's spec.private to GONOPROXY,"
                                + " GONOSUMDB in build",
                        "modproxy: envFrom may set the Go variables; left to it in container(s) build");
    }

    private static JsonObject plain(String name, String value) {
        return Json.createObjectBuilder().add("name", name).add("value", value).build();
    }

    @Test
    void cacheThatIsNotReadyGivesTheFallbackChainAloneToInitAndMainContainers() {
        byte[] review = review("pod-with-init-containers.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        Map<String, String> fallback =
                Map.of("GOPROXY", "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct");
        assertThat(env(pod, "initContainers", "go-mod-download")).isEqualTo(fallback);
        assertThat(env(pod, "containers", "vet")).isEqualTo(fallback);
        assertThat(pod.getJsonObject("metadata").getJsonObject("annotations").getString("modproxy.dev/injected"))
                .isEqualTo("{\"cache\":\"builds/mirror\",\"outcome\":\"fallback-only\"}");
        assertThat(pod.getJsonObject("metadata").getJsonObject("annotations").getString("team.example.com/owner"))
                .isEqualTo("platform");
        assertThat(response(reply).getJsonArray("warnings").getString(0).contains("builds/mirror is not Ready"))
                .isTrue();
    }

    @Test
    void unlabeledPodInAnUnlabeledNamespaceIsAdmittedUnchanged() {
        byte[] reply = handle(review("unlabeled-pod.json"));

        assertThat(patch(reply).isEmpty()).isTrue();
        assertThat(response(reply).getBoolean("allowed")).isTrue();
        assertThat(response(reply).getString("uid")).isEqualTo("5d4c3b2a-1908-4f7e-8d6c-5b4a39281706");
        assertThat(response(reply).containsKey("warnings")).isFalse();
    }

    @Test
    void namespaceLabelOptsInItsPodsUsingTheNamespaceAnnotationsCache() {
        directory.namespace(
                "web", Map.of("modproxy.dev/inject", "enabled"), Map.of("modproxy.dev/cache", "shared/gomod"));
        byte[] review = review("unlabeled-pod.json");

        JsonObject pod = admittedPod(review, handle(review));

        assertThat(env(pod, "containers", "nginx"))
                .isEqualTo(Map.of("GOPROXY", "http://gomod.shared.svc:8080|https://proxy.golang.org,direct"));
    }

    @Test
    void podLabelFalseOptsOutOfAnEnabledNamespace() {
        directory.namespace(
                "web", Map.of("modproxy.dev/inject", "enabled"), Map.of("modproxy.dev/cache", "shared/gomod"));
        byte[] reply = handle(withPodLabel(review("unlabeled-pod.json"), "false"));

        assertThat(patch(reply).isEmpty()).isTrue();
    }

    @Test
    void missingCacheLeavesThePodUnchangedAndWarns() {
        byte[] reply = handle(withPodLabel(review("tekton-taskrun-pod.json"), "no-such-cache"));

        assertThat(patch(reply).isEmpty()).isTrue();
        assertThat(response(reply).getBoolean("allowed")).isTrue();
        assertThat(response(reply).getJsonArray("warnings").getString(0))
                .isEqualTo(
                        "modproxy: GoProxyCache ci/no-such-cache (from pod label modproxy.dev/inject) does not exist; "
                                + "pod left unchanged");
    }

    @Test
    void severalCachesInANamespaceNeedOneMarkedDefault() {
        directory.add(new CacheTarget(
                new CacheRef("ci", "second"),
                "http://second.ci.svc:8080",
                "https://proxy.golang.org",
                List.of(),
                List.of(),
                true,
                false));
        byte[] review = review("tekton-taskrun-pod.json");
        byte[] ambiguous = handle(review);
        assertThat(patch(ambiguous).isEmpty()).isTrue();
        assertThat(response(ambiguous)
                        .getJsonArray("warnings")
                        .getString(0)
                        .contains("none annotated modproxy.dev/default=true"))
                .isTrue();

        directory.add(new CacheTarget(
                new CacheRef("ci", "third"),
                "http://third.ci.svc:8080",
                "https://proxy.golang.org",
                List.of(),
                List.of(),
                true,
                true));
        JsonObject pod = admittedPod(review, handle(review));
        assertThat(env(pod, "containers", "step-test").get("GOPROXY"))
                .isEqualTo("http://third.ci.svc:8080|https://proxy.golang.org");
    }

    @Test
    void operatorAndSystemNamespacesAreNeverMutated() {
        for (String namespace : List.of("kube-system", "modproxy")) {
            directory.add(new CacheTarget(
                    new CacheRef(namespace, "gomod"),
                    "http://gomod." + namespace + ".svc:8080",
                    "https://proxy.golang.org",
                    List.of(),
                    List.of(),
                    true,
                    false));
            byte[] reply = handle(inNamespace(review("tekton-taskrun-pod.json"), namespace));
            assertThat(patch(reply).isEmpty()).as(namespace).isTrue();
        }
    }

    @Test
    void updateIsAdmittedWithoutPatch() {
        byte[] reply = handle(review("pod-update.json"));

        assertThat(patch(reply).isEmpty()).isTrue();
        assertThat(response(reply).getBoolean("allowed")).isTrue();
        assertThat(response(reply).getString("uid")).isEqualTo("a1b2c3d4-e5f6-4789-9abc-def012345678");
    }

    @Test
    void malformedJsonIsABadRequestWithTheReason() {
        AdmissionReviewHandler.Reply reply = handler.handle(review("malformed.json"));

        assertThat(reply.status()).isEqualTo(400);
        assertThat(new String(reply.body(), StandardCharsets.UTF_8)
                        .startsWith("malformed AdmissionReview: body is not JSON"))
                .isTrue();
        assertThat(registry.get("modproxy.webhook.injections")
                        .tag("outcome", "error")
                        .counter()
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    void reviewWithoutRequestIsABadRequest() {
        AdmissionReviewHandler.Reply reply =
                handler.handle("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}"
                        .getBytes(StandardCharsets.UTF_8));

        assertThat(reply.status()).isEqualTo(400);
        assertThat(new String(reply.body(), StandardCharsets.UTF_8))
                .isEqualTo("malformed AdmissionReview: no request\n");
    }

    @Test
    void reviewWithAUidButNoObjectIsAllowedWithAStatusMessage() {
        JsonObject original = AdmissionFixtures.json(review("tekton-taskrun-pod.json"));
        JsonObject request = Json.createObjectBuilder(original.getJsonObject("request"))
                .remove("object")
                .build();
        byte[] reply = handle(Json.createObjectBuilder(original)
                .add("request", request)
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8));

        assertThat(response(reply).getBoolean("allowed")).isTrue();
        assertThat(response(reply).getJsonObject("status").getString("message"))
                .isEqualTo("modproxy: request.object is missing");
        assertThat(patch(reply).isEmpty()).isTrue();
    }

    @Test
    void outcomesAreCountedByKind() {
        handle(review("tekton-taskrun-pod.json"));
        handle(review("pod-with-init-containers.json"));
        handle(review("unlabeled-pod.json"));

        assertThat(registry.get("modproxy.webhook.injections")
                        .tag("outcome", "injected")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(registry.get("modproxy.webhook.injections")
                        .tag("outcome", "fallback-only")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(registry.get("modproxy.webhook.injections")
                        .tag("outcome", "skipped")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(registry.get("modproxy.webhook.review").timer().count()).isEqualTo(3);
    }

    @Test
    void dryRunsAreCountedApartFromThePodsCreated() {
        JsonObject original = AdmissionFixtures.json(review("tekton-taskrun-pod.json"));
        byte[] dryRun = Json.createObjectBuilder(original)
                .add(
                        "request",
                        Json.createObjectBuilder(original.getJsonObject("request"))
                                .add("dryRun", true))
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);

        handle(dryRun);
        handle(dryRun);
        handle(review("tekton-taskrun-pod.json"));

        assertThat(registry.get("modproxy.webhook.injections")
                        .tag("outcome", "injected")
                        .counter()
                        .count())
                .as("kubectl create --dry-run=server creates no pod")
                .isEqualTo(1.0);
        assertThat(registry.get("modproxy.webhook.dry.runs")
                        .tag("outcome", "injected")
                        .counter()
                        .count())
                .isEqualTo(2.0);
        assertThat(registry.get("modproxy.webhook.review").timer().count()).isEqualTo(3);
    }

    static byte[] withPodLabel(byte[] review, String value) {
        JsonObject original = AdmissionFixtures.json(review);
        JsonObject pod = original.getJsonObject("request").getJsonObject("object");
        JsonObject metadata = pod.getJsonObject("metadata");
        JsonObject labels = Json.createObjectBuilder(metadata.getJsonObject("labels"))
                .add("modproxy.dev/inject", value)
                .build();
        JsonObject newPod = Json.createObjectBuilder(pod)
                .add("metadata", Json.createObjectBuilder(metadata).add("labels", labels))
                .build();
        return AdmissionFixtures.reinvocation(review, newPod);
    }

    static byte[] inNamespace(byte[] review, String namespace) {
        JsonObject original = AdmissionFixtures.json(review);
        JsonObject request = Json.createObjectBuilder(original.getJsonObject("request"))
                .add("namespace", namespace)
                .build();
        return Json.createObjectBuilder(original)
                .add("request", request)
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    /** pod-sets-goproxy.json with its one container ("build") changed by edit. */
    private static byte[] withBuildContainer(UnaryOperator<JsonObjectBuilder> edit) {
        JsonObject pod = AdmissionFixtures.json(review("pod-sets-goproxy.json"))
                .getJsonObject("request")
                .getJsonObject("object");
        JsonObject container = edit.apply(Json.createObjectBuilder(
                        pod.getJsonObject("spec").getJsonArray("containers").getJsonObject(0)))
                .build();
        JsonObject changed = Json.createObjectBuilder(pod)
                .add(
                        "spec",
                        Json.createObjectBuilder(pod.getJsonObject("spec"))
                                .add("containers", Json.createArrayBuilder().add(container)))
                .build();
        return reinvocation(review("pod-sets-goproxy.json"), changed);
    }
}
