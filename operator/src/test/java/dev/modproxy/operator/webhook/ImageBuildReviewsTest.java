package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.admittedPod;
import static dev.modproxy.operator.webhook.AdmissionFixtures.env;
import static dev.modproxy.operator.webhook.AdmissionFixtures.json;
import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.reinvocation;
import static dev.modproxy.operator.webhook.AdmissionFixtures.response;
import static dev.modproxy.operator.webhook.AdmissionFixtures.review;
import static dev.modproxy.operator.webhook.BuilderCommandLines.programArguments;
import static dev.modproxy.operator.webhook.BuilderCommandLines.strings;
import static dev.modproxy.operator.webhook.BuilderCommandLines.tektonEntrypointFlags;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Image builds in opted-in pods: Tekton catalog tasks (kaniko 0.7, buildkit-daemonless 0.2, buildah 0.9) and a
 * Jenkins kubernetes-plugin Kaniko agent, as the API server sends them. The patched command lines are read with
 * the tools' own flag syntax ({@link BuilderCommandLines}). No container runtime runs here: the builds are not run.
 */
class ImageBuildReviewsTest {

    static final String CI_GOPROXY = "http://gomod.ci.svc.cluster.local:8080|https://goproxy.cn,direct";
    static final Map<String, String> CI_BUILD_ARGS = ordered(
            "GOPROXY",
            CI_GOPROXY,
            "GOPRIVATE",
            "git.corp.example.com/*",
            "GONOPROXY",
            "git.corp.example.com/*",
            "GONOSUMDB",
            "git.corp.example.com/*");
    static final String SCRIPT_WARNING =
            "modproxy: pass --build-arg GOPROXY to the image build in step-build-and-push (docs/image-builds.md)";

    final InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
            .add(new CacheTarget(
                    new CacheRef("ci", "gomod"),
                    "http://gomod.ci.svc.cluster.local:8080",
                    "https://goproxy.cn,direct",
                    List.of("git.corp.example.com/*"),
                    List.of(),
                    true,
                    true))
            .add(new CacheTarget(
                    new CacheRef("ci", "cold"),
                    "http://cold.ci.svc.cluster.local:8080",
                    "https://goproxy.cn,direct",
                    List.of(),
                    List.of(),
                    false,
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
        return reply.body();
    }

    @Test
    void tektonKanikoTaskPassesTheCacheToTheDockerfileAsBuildArguments() {
        byte[] review = review("tekton-kaniko-task-pod.json");
        byte[] reply = handle(review);
        JsonObject before =
                container(json(review).getJsonObject("request").getJsonObject("object"), "step-build-and-push");
        JsonObject pod = admittedPod(review, reply);
        JsonObject step = container(pod, "step-build-and-push");

        List<String> received = programArguments(step);
        assertThat(BuilderCommandLines.Kaniko.buildArguments(received)).isEqualTo(CI_BUILD_ARGS);
        BuilderCommandLines.Parsed kaniko = BuilderCommandLines.Kaniko.parse(received);
        assertThat(kaniko.values("destination")).isEqualTo(List.of("registry.corp.example.com/payments/api:1f3c9e2"));
        assertThat(kaniko.values("digest-file")).isEqualTo(List.of("/tekton/results/IMAGE_DIGEST"));
        assertThat(kaniko.values("cache")).isEqualTo(List.of("true"));
        assertThat(kaniko.arguments()).isEqualTo(List.of());
        assertThat(received.subList(0, programArguments(before).size()))
                .as("the task's own arguments come first, unchanged")
                .isEqualTo(programArguments(before));
        assertThat(tektonEntrypointFlags(step)).isEqualTo(tektonEntrypointFlags(before));

        Map<String, String> env = env(pod, "containers", "step-build-and-push");
        assertThat(env.get("GOPROXY")).isEqualTo(CI_GOPROXY);
        assertThat(env.get("TEKTON_PLATFORM_COMMANDS").contains("/kaniko/executor"))
                .isTrue();
        assertThat(strings(container(pod, "step-write-url").getJsonArray("args")))
                .as("the write-url step is no image build")
                .isEqualTo(strings(
                        container(json(review).getJsonObject("request").getJsonObject("object"), "step-write-url")
                                .getJsonArray("args")));
        assertThat(pod.getJsonObject("metadata").getJsonObject("annotations").getString("modproxy.dev/injected"))
                .isEqualTo("{\"cache\":\"ci/gomod\",\"outcome\":\"injected\",\"buildArgs\":[\"step-build-and-push\"]}");
        assertThat(response(reply).containsKey("warnings")).isFalse();
        assertThat(patch(reply).getValuesAs(JsonObject.class).stream().allMatch(op -> "add".equals(op.getString("op"))))
                .isTrue();
        assertThat(patch(reply).getValuesAs(JsonObject.class).stream()
                        .map(op -> op.getString("path"))
                        .filter(path -> path.contains("/args"))
                        .allMatch("/spec/containers/0/args/-"::equals))
                .isTrue();
    }

    @Test
    void tektonBuildkitTaskPassesTheCacheAsBuildctlBuildArgOpts() {
        byte[] review = review("tekton-buildkit-task-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);
        JsonObject step = container(pod, "step-build-and-push");

        assertThat(tektonEntrypointFlags(step).get(tektonEntrypointFlags(step).indexOf("-entrypoint") + 1))
                .isEqualTo("buildctl-daemonless.sh");
        BuilderCommandLines.Buildctl.Invocation buildctl = BuilderCommandLines.Buildctl.parse(programArguments(step));
        assertThat(buildctl.subcommand()).isEqualTo("build");
        assertThat(buildctl.global().values("debug")).isEqualTo(List.of("true"));
        assertThat(buildctl.buildArguments()).isEqualTo(CI_BUILD_ARGS);
        assertThat(buildctl.build().values("opt").get(0)).isEqualTo("filename=Dockerfile");
        assertThat(buildctl.build().values("local")).isEqualTo(List.of("context=.", "dockerfile=."));
        assertThat(buildctl.build().values("output"))
                .isEqualTo(List.of("type=image,name=registry.corp.example.com/payments/api:1f3c9e2,push=true"));
        assertThat(env(pod, "containers", "step-build-and-push").get("BUILDKITD_FLAGS"))
                .isEqualTo("--oci-worker-no-process-sandbox");
        assertThat(pod.getJsonObject("metadata").getJsonObject("annotations").getString("modproxy.dev/injected"))
                .isEqualTo("{\"cache\":\"ci/gomod\",\"outcome\":\"injected\",\"buildArgs\":[\"step-build-and-push\"]}");
        assertThat(response(reply).containsKey("warnings")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "tekton-kaniko-task-pod.json",
                "tekton-buildkit-task-pod.json",
                "tekton-buildah-task-pod.json",
                "jenkins-kaniko-agent-pod.json"
            })
    void reinvocationWithThePatchedPodAddsNothing(String fixture) {
        byte[] review = review(fixture);
        JsonObject once = admittedPod(review, handle(review));

        byte[] again = handle(reinvocation(review, once));

        assertThat(patch(again)).isEqualTo(JsonValue.EMPTY_JSON_ARRAY);
        assertThat(response(again).containsKey("patchType")).isFalse();
    }

    @Test
    void buildArgumentsTheKanikoTaskPassesAlreadyKeepTheirValuesInBothForms() {
        byte[] review = withStepArgs(
                "tekton-kaniko-task-pod.json",
                "--build-arg",
                "GOPROXY=https://goproxy.cn,direct",
                "--build-arg=GONOSUMDB=corp.example.com",
                "--build-arg",
                "GOPRIVATE");
        byte[] reply = handle(review);
        JsonObject step = container(admittedPod(review, reply), "step-build-and-push");

        List<String> buildArgs =
                BuilderCommandLines.Kaniko.parse(programArguments(step)).values("build-arg");
        assertThat(buildArgs)
                .as("only the one the task does not pass is added")
                .isEqualTo(List.of(
                        "GOPROXY=https://goproxy.cn,direct",
                        "GONOSUMDB=corp.example.com",
                        "GOPRIVATE",
                        "GONOPROXY=git.corp.example.com/*"));
        assertThat(patch(reply).getValuesAs(JsonObject.class).stream()
                        .map(op -> op.getString("path"))
                        .filter(path -> path.contains("/args"))
                        .toList())
                .isEqualTo(List.of("/spec/containers/0/args/-"));
    }

    @Test
    void buildctlTaskPassingItsOwnGoproxyOptKeepsItInEitherForm() {
        byte[] review = withStepArgs(
                "tekton-buildkit-task-pod.json",
                "--opt",
                "build-arg:GOPROXY=https://goproxy.io",
                "-opt=build-arg:GONOSUMDB=corp.example.com");
        JsonObject step = container(admittedPod(review, handle(review)), "step-build-and-push");

        Map<String, String> buildArgs =
                BuilderCommandLines.Buildctl.parse(programArguments(step)).buildArguments();
        assertThat(buildArgs)
                .isEqualTo(ordered(
                        "GOPROXY",
                        "https://goproxy.io",
                        "GONOSUMDB",
                        "corp.example.com",
                        "GOPRIVATE",
                        "git.corp.example.com/*",
                        "GONOPROXY",
                        "git.corp.example.com/*"));
    }

    @Test
    void buildahTaskScriptIsLeftAsItIsAndTheUserIsToldWhatToAdd() {
        byte[] review = review("tekton-buildah-task-pod.json");
        byte[] reply = handle(review);
        JsonObject before = json(review).getJsonObject("request").getJsonObject("object");
        JsonObject pod = admittedPod(review, reply);

        assertThat(warnings(reply)).isEqualTo(List.of(SCRIPT_WARNING));
        assertThat(SCRIPT_WARNING.length() <= 120).isTrue();
        assertThat(container(pod, "step-build-and-push").get("args"))
                .isEqualTo(container(before, "step-build-and-push").get("args"));
        assertThat(pod.getJsonObject("spec")
                        .getJsonArray("initContainers")
                        .getJsonObject(1)
                        .get("args"))
                .as("script untouched")
                .isEqualTo(before.getJsonObject("spec")
                        .getJsonArray("initContainers")
                        .getJsonObject(1)
                        .get("args"));
        assertThat(env(pod, "containers", "step-build-and-push").get("GOPROXY")).isEqualTo(CI_GOPROXY);
        assertThat(pod.getJsonObject("metadata").getJsonObject("annotations").getString("modproxy.dev/injected"))
                .isEqualTo("{\"cache\":\"ci/gomod\",\"outcome\":\"injected\"}");
    }

    @Test
    void buildahScriptThatPassesGoproxyAsTheDocsSayIsNotWarnedAbout() {
        JsonObject original = json(review("tekton-buildah-task-pod.json"));
        String placeScripts = original.getJsonObject("request")
                .getJsonObject("object")
                .getJsonObject("spec")
                .getJsonArray("initContainers")
                .getJsonObject(1)
                .getJsonArray("args")
                .getString(1);
        String encoded = placeScripts.split("\n")[3];
        String script = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        String fixed = script.replace(
                "bud \"${BUILD_ARGS[@]}\"", "bud --build-arg GOPROXY --build-arg GONOSUMDB \"${BUILD_ARGS[@]}\"");
        String placed = placeScripts.replace(
                encoded, Base64.getEncoder().encodeToString(fixed.getBytes(StandardCharsets.UTF_8)));
        JsonObject changed = Json.createPointer("/request/object/spec/initContainers/1/args/1")
                .replace(original, Json.createValue(placed));

        byte[] reply = handle(changed.toString().getBytes(StandardCharsets.UTF_8));

        assertThat(response(reply).containsKey("warnings")).isFalse();
    }

    @Test
    void buildahTaskGivenGoproxyInItsBuildArgsParamIsNotWarnedAbout() {
        // BUILD_ARGS: [VERSION=1f3c9e2, GOPROXY, GONOSUMDB]: the catalog script passes each as --build-arg=<word>,
        // and buildah takes the value of a bare name from its environment
        byte[] review = withStepArgs("tekton-buildah-task-pod.json", "GOPROXY", "GONOSUMDB");

        byte[] reply = handle(review);

        assertThat(response(reply).containsKey("warnings")).isFalse();
        assertThat(env(admittedPod(review, reply), "containers", "step-build-and-push")
                        .get("GOPROXY"))
                .isEqualTo(CI_GOPROXY);
    }

    @Test
    void jenkinsKanikoAgentIsToldToPassTheArgumentsInItsShStep() {
        byte[] review = review("jenkins-kaniko-agent-pod.json");
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        assertThat(warnings(reply))
                .isEqualTo(List.of(
                        "modproxy: pass --build-arg GOPROXY to the image build in kaniko (docs/image-builds.md)"));
        assertThat(strings(container(pod, "kaniko").getJsonArray("args"))).isEqualTo(List.of("9999999"));
        assertThat(env(pod, "containers", "kaniko"))
                .as("a bare --build-arg GOPROXY in the sh step takes this value")
                .isEqualTo(Map.of("GOPROXY", "http://gomod.jenkins-agents.svc:8080|https://proxy.golang.org"));
        assertThat(pod.getJsonObject("metadata").getJsonObject("annotations").getString("modproxy.dev/injected"))
                .isEqualTo("{\"cache\":\"jenkins-agents/gomod\",\"outcome\":\"injected\"}");
    }

    @Test
    void optedOutKanikoPodIsLeftAlone() {
        JsonObject original = json(review("tekton-kaniko-task-pod.json"));
        JsonObject optedOut = Json.createPointer("/request/object/metadata/labels/modproxy.dev~1inject")
                .replace(original, Json.createValue("false"));

        byte[] reply = handle(optedOut.toString().getBytes(StandardCharsets.UTF_8));

        assertThat(patch(reply)).isEqualTo(JsonValue.EMPTY_JSON_ARRAY);
        assertThat(response(reply).containsKey("warnings")).isFalse();
    }

    @Test
    void kanikoPodWithoutCommandGetsArgsAfterItsOwnAndAPodWithoutArgsGetsAnArgsArray() {
        JsonObject kaniko = Json.createObjectBuilder()
                .add("name", "kaniko")
                .add("image", "gcr.io/kaniko-project/executor:v1.23.2")
                .add(
                        "args",
                        Json.createArrayBuilder()
                                .add("--context=git://git.corp.example.com/payments/api.git#refs/heads/main")
                                .add("-d")
                                .add("registry.corp.example.com/payments/api:main"))
                .build();
        JsonObject bare = Json.createObjectBuilder()
                .add("name", "bare")
                .add("image", "gcr.io/kaniko-project/executor:latest")
                .build();

        byte[] review = BuildPodReviewsTest.reviewOf(pod(kaniko, bare));
        byte[] reply = handle(review);
        JsonObject pod = admittedPod(review, reply);

        assertThat(BuilderCommandLines.Kaniko.buildArguments(programArguments(container(pod, "kaniko"))))
                .isEqualTo(CI_BUILD_ARGS);
        assertThat(BuilderCommandLines.Kaniko.parse(programArguments(container(pod, "kaniko")))
                        .values("destination"))
                .isEqualTo(List.of("registry.corp.example.com/payments/api:main"));
        assertThat(BuilderCommandLines.Kaniko.buildArguments(programArguments(container(pod, "bare"))))
                .isEqualTo(CI_BUILD_ARGS);
        assertThat(patch(reply).getValuesAs(JsonObject.class).stream()
                        .anyMatch(op -> "/spec/containers/1/args".equals(op.getString("path"))))
                .isTrue();
    }

    @Test
    void buildctlWithItsWholeCommandLineInCommandAndGlobalFlagsGetsArgsThatFollowIt() {
        // the catalog's buildkit task against a remote buildkitd, as a plain pod: everything in "command"
        JsonObject client = Json.createObjectBuilder()
                .add("name", "buildctl")
                .add("image", "moby/buildkit:v0.16.0")
                .add(
                        "command",
                        Json.createArrayBuilder()
                                .add("buildctl")
                                .add("--debug")
                                .add("--addr=tcp://buildkitd:1234")
                                .add("--tlscacert")
                                .add("/certs/ca.pem")
                                .add("--tlscert")
                                .add("/certs/cert.pem")
                                .add("--tlskey")
                                .add("/certs/key.pem")
                                .add("build")
                                .add("--frontend=dockerfile.v0")
                                .add("--local")
                                .add("context=.")
                                .add("--local")
                                .add("dockerfile=.")
                                .add("--output")
                                .add("type=image,name=registry.corp.example.com/payments/api:main,push=true"))
                .build();

        byte[] review = BuildPodReviewsTest.reviewOf(pod(client));
        JsonObject admitted = container(admittedPod(review, handle(review)), "buildctl");

        BuilderCommandLines.Buildctl.Invocation buildctl =
                BuilderCommandLines.Buildctl.parse(programArguments(admitted));
        assertThat(buildctl.global().values("addr")).isEqualTo(List.of("tcp://buildkitd:1234"));
        assertThat(buildctl.buildArguments()).isEqualTo(CI_BUILD_ARGS);
        assertThat(admitted.getJsonArray("args").size()).isEqualTo(4);
    }

    @Test
    void buildctlThatDoesNotBuildAndAGolangContainerGetNoBuildArguments() {
        JsonObject prune = Json.createObjectBuilder()
                .add("name", "prune")
                .add("image", "moby/buildkit:v0.16.0")
                .add(
                        "command",
                        Json.createArrayBuilder()
                                .add("buildctl")
                                .add("--addr")
                                .add("tcp://buildkitd:1234")
                                .add("prune")
                                .add("--keep-duration")
                                .add("48h"))
                .build();
        JsonObject golang = Json.createObjectBuilder()
                .add("name", "go")
                .add("image", "golang:1.26")
                .add("command", Json.createArrayBuilder().add("go"))
                .add("args", Json.createArrayBuilder().add("build").add("./..."))
                .build();

        byte[] review = BuildPodReviewsTest.reviewOf(pod(prune, golang));
        byte[] reply = handle(review);

        assertThat(patch(reply).getValuesAs(JsonObject.class).stream()
                        .noneMatch(op -> op.getString("path").contains("/args")))
                .isTrue();
        assertThat(response(reply).containsKey("warnings")).isFalse();
        assertThat(admittedPod(review, reply)
                        .getJsonObject("metadata")
                        .getJsonObject("annotations")
                        .getString("modproxy.dev/injected")
                        .contains("buildArgs"))
                .isFalse();
    }

    @Test
    void dockerBuildInAShellStepIsWarnedAboutButTheDockerDaemonSidecarIsNot() {
        JsonObject cli = Json.createObjectBuilder()
                .add("name", "docker-build")
                .add("image", "docker:27-cli")
                .add("command", Json.createArrayBuilder().add("/bin/sh").add("-ec"))
                .add(
                        "args",
                        Json.createArrayBuilder()
                                .add("docker build \\\n  -t registry.corp.example.com/payments/api:main .\n"
                                        + "docker push registry.corp.example.com/payments/api:main\n"))
                .build();
        JsonObject daemon = Json.createObjectBuilder()
                .add("name", "dind")
                .add("image", "docker:27-dind")
                .build();

        byte[] review = BuildPodReviewsTest.reviewOf(pod(cli, daemon));
        byte[] reply = handle(review);

        assertThat(warnings(reply))
                .isEqualTo(
                        List.of(
                                "modproxy: pass --build-arg GOPROXY to the image build in docker-build (docs/image-builds.md)"));
        assertThat(patch(reply).getValuesAs(JsonObject.class).stream()
                        .noneMatch(op -> op.getString("path").contains("/args")))
                .isTrue();
    }

    @Test
    void aContainerThatChoosesItsOwnGoproxyGetsNoCacheGoproxyBuildArgument() {
        JsonObject kaniko = Json.createObjectBuilder()
                .add("name", "kaniko")
                .add("image", "gcr.io/kaniko-project/executor:v1.23.2")
                .add("args", Json.createArrayBuilder().add("--no-push"))
                .add(
                        "env",
                        Json.createArrayBuilder()
                                .add(Json.createObjectBuilder()
                                        .add("name", "GOPROXY")
                                        .add("value", "https://goproxy.io")))
                .build();

        byte[] review = BuildPodReviewsTest.reviewOf(pod(kaniko));
        JsonObject admitted = container(admittedPod(review, handle(review)), "kaniko");

        Map<String, String> expected = new LinkedHashMap<>(CI_BUILD_ARGS);
        expected.remove("GOPROXY");
        assertThat(BuilderCommandLines.Kaniko.buildArguments(programArguments(admitted)))
                .isEqualTo(expected);
    }

    @Test
    void kanikoWhoseArgumentsEndFlagsWithDoubleDashIsWarnedAboutNotPatched() {
        JsonObject kaniko = Json.createObjectBuilder()
                .add("name", "kaniko")
                .add("image", "gcr.io/kaniko-project/executor:v1.23.2")
                .add(
                        "args",
                        Json.createArrayBuilder().add("--no-push").add("--").add("extra"))
                .build();

        byte[] review = BuildPodReviewsTest.reviewOf(pod(kaniko));
        byte[] reply = handle(review);

        assertThat(strings(container(admittedPod(review, reply), "kaniko").getJsonArray("args")))
                .isEqualTo(List.of("--no-push", "--", "extra"));
        assertThat(warnings(reply))
                .isEqualTo(List.of(
                        "modproxy: pass --build-arg GOPROXY to the image build in kaniko (docs/image-builds.md)"));
    }

    @Test
    void kanikoAsAnInitContainerGetsTheBuildArgumentsToo() {
        JsonObject kaniko = Json.createObjectBuilder()
                .add("name", "build-image")
                .add("image", "gcr.io/kaniko-project/executor:v1.23.2")
                .add("args", Json.createArrayBuilder().add("--no-push").add("--tar-path=/out/image.tar"))
                .build();
        JsonObject base = pod(Json.createObjectBuilder()
                .add("name", "scan")
                .add("image", "aquasec/trivy:0.57.0")
                .build());
        JsonObject withInit = Json.createObjectBuilder(base)
                .add(
                        "spec",
                        Json.createObjectBuilder(base.getJsonObject("spec"))
                                .add("initContainers", Json.createArrayBuilder().add(kaniko)))
                .build();

        byte[] review = BuildPodReviewsTest.reviewOf(withInit);
        JsonObject admitted = admittedPod(review, handle(review));

        JsonObject init =
                admitted.getJsonObject("spec").getJsonArray("initContainers").getJsonObject(0);
        assertThat(BuilderCommandLines.Kaniko.buildArguments(programArguments(init)))
                .isEqualTo(CI_BUILD_ARGS);
        assertThat(admitted.getJsonObject("metadata")
                        .getJsonObject("annotations")
                        .getString("modproxy.dev/injected")
                        .contains("\"buildArgs\":[\"build-image\"]"))
                .isTrue();
    }

    @Test
    void ofTwoGoproxyEntriesTheLaterOneDecidesAsItDoesForTheContainer() {
        JsonObject kaniko = Json.createObjectBuilder()
                .add("name", "kaniko")
                .add("image", "gcr.io/kaniko-project/executor:v1.23.2")
                .add("args", Json.createArrayBuilder().add("--no-push"))
                .add(
                        "env",
                        Json.createArrayBuilder()
                                .add(Json.createObjectBuilder()
                                        .add("name", "GOPROXY")
                                        .add("value", "https://goproxy.io"))
                                .add(Json.createObjectBuilder()
                                        .add("name", "GOPROXY")
                                        .add("value", CI_GOPROXY)))
                .build();

        byte[] review = BuildPodReviewsTest.reviewOf(pod(kaniko));
        JsonObject admitted = container(admittedPod(review, handle(review)), "kaniko");

        assertThat(BuilderCommandLines.Kaniko.buildArguments(programArguments(admitted)))
                .isEqualTo(CI_BUILD_ARGS);
    }

    @Test
    void fallbackOnlyCacheWithEnvFromAndAScriptedBuildGivesThreeShortWarnings() {
        JsonObject buildah = Json.createObjectBuilder()
                .add("name", "buildah")
                .add("image", "quay.io/buildah/stable:v1.37")
                .add("command", Json.createArrayBuilder().add("bash").add("-c").add("buildah bud -t app ."))
                .add(
                        "envFrom",
                        Json.createArrayBuilder()
                                .add(Json.createObjectBuilder()
                                        .add(
                                                "configMapRef",
                                                Json.createObjectBuilder().add("name", "go-env"))))
                .build();
        JsonObject review = json(BuildPodReviewsTest.reviewOf(pod(buildah)));
        JsonObject cold = Json.createPointer("/request/object/metadata/labels/modproxy.dev~1inject")
                .replace(review, Json.createValue("cold"));

        List<String> warnings = warnings(handle(cold.toString().getBytes(StandardCharsets.UTF_8)));

        assertThat(warnings.size()).as(warnings::toString).isEqualTo(3);
        assertThat(warnings.stream().allMatch(w -> w.length() <= 120 && w.startsWith("modproxy: ")))
                .as(warnings::toString)
                .isTrue();
        assertThat(warnings.get(2))
                .isEqualTo("modproxy: pass --build-arg GOPROXY to the image build in buildah (docs/image-builds.md)");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "tekton-kaniko-task-pod.json",
                "tekton-buildkit-task-pod.json",
                "tekton-buildah-task-pod.json",
                "jenkins-kaniko-agent-pod.json"
            })
    void thePodAnEndToEndTestCreatesIsPatchedLikeTheFixture(String fixture) {
        byte[] review = review(fixture);
        byte[] created = reinvocation(review, AdmissionFixtures.podToCreate(fixture));

        assertThat(patch(handle(created))).isEqualTo(patch(handle(review)));
    }

    @Test
    void megabyteScriptsAreReadInLinearTime() {
        String words = "buildah --layers ".repeat(60_000);
        String unterminated =
                "scriptfile=\"/tekton/scripts/script-0-abcde\"\ntouch ${scriptfile} && chmod +x ${scriptfile}\n"
                        + "cat > ${scriptfile} << '_EOF_'\n" + "QUJD\n".repeat(200_000);
        JsonObject shell = Json.createObjectBuilder()
                .add("name", "shell")
                .add("image", "quay.io/buildah/stable:v1")
                .add("command", Json.createArrayBuilder().add("sh").add("-c").add(words))
                .build();
        JsonObject step = Json.createObjectBuilder()
                .add("name", "step-build")
                .add("image", "quay.io/buildah/stable:v1")
                .add("command", Json.createArrayBuilder().add("/tekton/bin/entrypoint"))
                .add(
                        "args",
                        Json.createArrayBuilder()
                                .add("-entrypoint")
                                .add("/tekton/scripts/script-0-abcde")
                                .add("--"))
                .build();
        JsonObject pod = pod(shell, step);
        JsonObject withInit = Json.createObjectBuilder(pod)
                .add(
                        "spec",
                        Json.createObjectBuilder(pod.getJsonObject("spec"))
                                .add(
                                        "initContainers",
                                        Json.createArrayBuilder()
                                                .add(Json.createObjectBuilder()
                                                        .add("name", "place-scripts")
                                                        .add("image", "busybox")
                                                        .add(
                                                                "command",
                                                                Json.createArrayBuilder()
                                                                        .add("sh"))
                                                        .add(
                                                                "args",
                                                                Json.createArrayBuilder()
                                                                        .add("-c")
                                                                        .add(unterminated)))))
                .build();
        byte[] review = BuildPodReviewsTest.reviewOf(withInit);
        assertThat(review.length > 1_900_000)
                .as("the review is " + review.length + " bytes")
                .isTrue();

        byte[] reply = assertThat(CompletableFuture.supplyAsync(() -> handle(review)))
                .succeedsWithin(Duration.ofSeconds(10))
                .actual();

        // the words hold no build subcommand; the step's script cannot be read, in a builder image
        assertThat(warnings(reply))
                .isEqualTo(List.of(
                        "modproxy: pass --build-arg GOPROXY to the image build in step-build (docs/image-builds.md)"));
    }

    /**
     * A step that lists empty GONOPROXY and GONOSUMDB before its own GOPRIVATE (alphabetical order, a template with
     * empty parameters): its env values get the cache's patterns and its GOPRIVATE written out, and the image build
     * has to get the same, or the go command in the Dockerfile asks the fallback and the checksum database for them.
     */
    @Test
    void aKanikoStepWithEmptyGoVariablesBeforeItsGoPrivatePassesTheValuesItsEnvGets() {
        JsonObject kaniko = Json.createObjectBuilder()
                .add("name", "kaniko")
                .add("image", "gcr.io/kaniko-project/executor:v1.23.2")
                .add("args", Json.createArrayBuilder().add("--destination=registry.example.com/app:1"))
                .add(
                        "env",
                        Json.createArrayBuilder()
                                .add(Json.createObjectBuilder()
                                        .add("name", "GONOPROXY")
                                        .add("value", ""))
                                .add(Json.createObjectBuilder()
                                        .add("name", "GONOSUMDB")
                                        .add("value", ""))
                                .add(Json.createObjectBuilder()
                                        .add("name", "GOPRIVATE")
                                        .add("value", "git.team.example.com/*")))
                .build();
        byte[] review = BuildPodReviewsTest.reviewOf(pod(kaniko));

        JsonObject admitted = admittedPod(review, handle(review));

        String exempted = "git.corp.example.com/*,git.team.example.com/*";
        assertThat(KubeletExpansion.environment(container(admitted, "kaniko"), Map.of()))
                .containsEntry("GONOPROXY", exempted)
                .containsEntry("GONOSUMDB", exempted);
        assertThat(KubeletExpansion.commandLine(container(admitted, "kaniko"), Map.of()))
                .as("what Kaniko passes to the Dockerfile's ARGs")
                .contains(
                        "--build-arg=GOPROXY=" + CI_GOPROXY,
                        "--build-arg=GONOPROXY=" + exempted,
                        "--build-arg=GONOSUMDB=" + exempted);
        assertThat(patch(handle(reinvocation(review, admitted)))).isEqualTo(JsonValue.EMPTY_JSON_ARRAY);
    }

    @Test
    void nullWordsInBuilderCommandLinesAreSkippedAndThePodStillGetsItsEnv() {
        JsonObject kaniko = Json.createObjectBuilder()
                .add("name", "kaniko")
                .add("image", "gcr.io/kaniko-project/executor:v1.23.2")
                .add(
                        "args",
                        Json.createArrayBuilder().addNull().add("--build-arg").addNull())
                .build();
        JsonObject buildctl = Json.createObjectBuilder()
                .add("name", "buildctl")
                .add("image", "moby/buildkit:v0.16.0")
                .add(
                        "command",
                        Json.createArrayBuilder()
                                .add("buildctl")
                                .addNull()
                                .add("build")
                                .add("--opt")
                                .addNull())
                .build();
        JsonObject shell = Json.createObjectBuilder()
                .add("name", "shell")
                .add("image", "docker:27-cli")
                .add("command", Json.createArrayBuilder().add("sh").add("-c").addNull())
                .build();

        byte[] review = BuildPodReviewsTest.reviewOf(pod(kaniko, buildctl, shell));
        JsonObject admitted = admittedPod(review, handle(review));

        for (String name : List.of("kaniko", "buildctl", "shell")) {
            assertThat(env(admitted, "containers", name).get("GOPROXY"))
                    .as(name)
                    .isEqualTo(CI_GOPROXY);
        }
    }

    static JsonObject pod(JsonObject... containers) {
        var list = Json.createArrayBuilder();
        for (JsonObject c : containers) {
            list.add(c);
        }
        return Json.createObjectBuilder()
                .add("apiVersion", "v1")
                .add("kind", "Pod")
                .add(
                        "metadata",
                        Json.createObjectBuilder()
                                .add("generateName", "image-")
                                .add("labels", Json.createObjectBuilder().add("modproxy.dev/inject", "true")))
                .add("spec", Json.createObjectBuilder().add("containers", list))
                .build();
    }

    static JsonObject container(JsonObject pod, String name) {
        return pod.getJsonObject("spec").getJsonArray("containers").getValuesAs(JsonObject.class).stream()
                .filter(c -> name.equals(c.getString("name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }

    /** The fixture with words added to its first step's args, as a task's EXTRA_ARGS would put them. */
    static byte[] withStepArgs(String fixture, String... words) {
        JsonObject original = json(review(fixture));
        var args = Json.createArrayBuilder(original.getJsonObject("request")
                .getJsonObject("object")
                .getJsonObject("spec")
                .getJsonArray("containers")
                .getJsonObject(0)
                .getJsonArray("args"));
        for (String word : words) {
            args.add(word);
        }
        return Json.createPointer("/request/object/spec/containers/0/args")
                .replace(original, args.build())
                .toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    static List<String> warnings(byte[] reply) {
        JsonObject response = response(reply);
        return response.containsKey("warnings")
                ? response.getJsonArray("warnings").getValuesAs(JsonString.class).stream()
                        .map(JsonString::getString)
                        .toList()
                : List.of();
    }

    static Map<String, String> ordered(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }
}
