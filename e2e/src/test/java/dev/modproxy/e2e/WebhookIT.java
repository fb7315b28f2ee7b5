package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admission webhook called by the API server itself: registered with clientConfig.url at the
 * operator's webhook server on 127.0.0.1 (the chart keeps the Service form for in-cluster operators),
 * with the caBundle the operator writes.
 */
@ExtendWith(ControlPlane.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(4)
class WebhookIT {

    private static final Duration READY_WITHIN = Duration.ofSeconds(90);

    private ControlPlane cluster;
    private KubernetesClient admin;
    private ChartRelease chart;
    private OperatorProcess operator;
    private Map<String, String> operatorEnv;

    @BeforeAll
    void installChartPointTheWebhookAtTheOperatorAndStartIt() {
        String tekton = Namespaces.of("tekton");
        String jenkins = Namespaces.of("jenkins");
        cluster = ControlPlane.shared();
        admin = cluster.admin();
        chart = new ChartRelease(cluster);
        chart.install(Map.of());
        Commands.Result scaled =
                cluster.kubectl("-n", ChartRelease.NAMESPACE, "scale", "deployment/modproxy-operator", "--replicas=0");
        assertThat(scaled.succeeded()).as(scaled.toString()).isTrue();
        int port = OperatorProcess.freePort();
        // every entry (the namespace entry and the label entry) calls the same operator
        int entries = webhookConfiguration().getWebhooks().size();
        assertThat(entries)
                .as("webhooks of the chart's MutatingWebhookConfiguration")
                .isEqualTo(2);
        StringJoiner patch = new StringJoiner(",\n", "[", "]");
        for (int entry = 0; entry < entries; entry++) {
            patch.add("""
                    {"op": "remove", "path": "/webhooks/%1$d/clientConfig/service"},
                    {"op": "add", "path": "/webhooks/%1$d/clientConfig/url", "value": "https://127.0.0.1:%2$d/mutate-pods"}\
                    """.formatted(entry, port));
        }
        Commands.Result pointed = cluster.kubectl(
                "patch", "mutatingwebhookconfiguration", "modproxy", "--type=json", "-p", patch.toString());
        assertThat(pointed.succeeded()).as(pointed.toString()).isTrue();
        operatorEnv =
                Map.of("MODPROXY_WEBHOOK_PORT", Integer.toString(port), "MODPROXY_WEBHOOK_CERT_CHECK_INTERVAL", "2s");
        operator = OperatorProcess.start(
                "operator-webhook", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), operatorEnv);
        cache(tekton, "default");
        cache(jenkins, "gomod");
    }

    @AfterAll
    void stopOperatorAndUninstall() {
        if (operator != null) {
            operator.close();
        }
        if (chart != null) {
            chart.uninstall();
        }
    }

    private void cache(String namespace, String name) {
        cache(namespace, name, Caches.smallSpec());
    }

    private void cache(String namespace, String name, Map<String, Object> spec) {
        Namespaces.ensure(admin, namespace);
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .resource(Caches.cache(namespace, name, spec))
                .create();
        await("GoProxyCache " + namespace + "/" + name + " Ready")
                .atMost(READY_WITHIN)
                .until(() -> Caches.conditionIs(Caches.get(admin, namespace, name), "Ready", "True"));
    }

    /** The pod of an admission fixture, as its controller (Tekton, Jenkins) would create it in {@code namespace}. */
    private static Pod fixturePod(String fixture, String namespace, String name) {
        try {
            JsonNode review = new ObjectMapper()
                    .readTree(Files.readString(Repository.root()
                            .resolve("operator/src/test/resources/admission")
                            .resolve(fixture)));
            Pod pod = Serialization.unmarshal(
                    review.path("request").path("object").toString(), Pod.class);
            pod.getMetadata().setNamespace(namespace);
            pod.getMetadata().setName(name);
            // its owner (a TaskRun) and service account do not exist here; the garbage collector and the
            // ServiceAccount admission plugin would act on them
            pod.getMetadata().setOwnerReferences(null);
            pod.getSpec().setServiceAccountName(null);
            pod.getSpec().setServiceAccount(null); // the deprecated alias, which the API server would copy back
            return pod;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Pod plainPod(String namespace, String name, Map<String, String> labels) {
        return new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("build")
                .withImage("golang:1.26")
                .endContainer()
                .endSpec()
                .build();
    }

    private Pod create(Pod pod) {
        return admin.pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .resource(pod)
                .create();
    }

    private static List<Container> allContainers(Pod pod) {
        List<Container> all = new ArrayList<>(pod.getSpec().getContainers());
        if (pod.getSpec().getInitContainers() != null) {
            all.addAll(pod.getSpec().getInitContainers());
        }
        return all;
    }

    private static String env(Container container, String name) {
        return container.getEnv() == null
                ? null
                : container.getEnv().stream()
                        .filter(e -> name.equals(e.getName()))
                        .map(EnvVar::getValue)
                        .findFirst()
                        .orElse(null);
    }

    @Test
    @Order(1)
    void aTektonTaskRunPodAndAJenkinsAgentComeBackFromTheApiServerWithGoproxy() {
        String tektonNamespace = Namespaces.of("tekton");
        String jenkinsNamespace = Namespaces.of("jenkins");
        Pod tekton = create(fixturePod("tekton-taskrun-pod.json", tektonNamespace, "go-build-run-pod"));
        Pod jenkins = create(fixturePod("jenkins-agent-pod.json", jenkinsNamespace, "go-agent"));

        assertThat(allContainers(tekton))
                .isNotEmpty()
                .allSatisfy(container -> assertThat(env(container, "GOPROXY"))
                        .as(container.getName())
                        .startsWith("http://default." + tektonNamespace + ".svc"));
        assertThat(allContainers(jenkins))
                .isNotEmpty()
                .allSatisfy(container -> assertThat(env(container, "GOPROXY"))
                        .as(container.getName())
                        .startsWith("http://gomod." + jenkinsNamespace + ".svc"));
    }

    @Test
    @Order(2)
    void aPodThatDidNotOptInIsCreatedUnchanged() {
        String namespace = Namespaces.of("plain");
        Namespaces.ensure(admin, namespace);

        Pod pod = create(plainPod(namespace, "not-a-build", Map.of()));

        assertThat(allContainers(pod))
                .allSatisfy(container -> assertThat(env(container, "GOPROXY")).isNull());
    }

    /** Reviews the operator has handled so far, whatever it did with them. */
    private double reviews() {
        return operator.counter("modproxy_webhook_review_seconds_count");
    }

    @Test
    @Order(3)
    void theApiServerSendsOnlyPodsThatOptedInByLabelOrNamespace() {
        String plain = Namespaces.of("not-opted-in");
        Namespaces.ensure(admin, plain);
        String enabled = Namespaces.of("enabled");
        // the cache (and its proxy pod) first, then the label: only the test's pods are created afterwards
        cache(enabled, "default");
        admin.namespaces().withName(enabled).edit(ns -> {
            ns.getMetadata().getLabels().put("modproxy.dev/inject", "enabled");
            return ns;
        });

        // the webhook records every review it receives (also those it skips) before it answers
        double before = reviews();
        Pod unlabelled = create(plainPod(plain, "not-a-build", Map.of()));
        Pod optedOut = create(plainPod(enabled, "opted-out", Map.of("modproxy.dev/inject", "false")));
        assertThat(reviews())
                .as("reviews after an unlabelled pod in %s and a pod labelled false in %s", plain, enabled)
                .isEqualTo(before);
        assertThat(env(unlabelled.getSpec().getContainers().get(0), "GOPROXY")).isNull();
        assertThat(env(optedOut.getSpec().getContainers().get(0), "GOPROXY")).isNull();

        Pod inEnabledNamespace = create(plainPod(enabled, "unlabelled-build", Map.of()));
        assertThat(env(inEnabledNamespace.getSpec().getContainers().get(0), "GOPROXY"))
                .startsWith("http://default." + enabled + ".svc");
        assertThat(reviews())
                .as("reviews after an unlabelled pod in the enabled namespace")
                .isEqualTo(before + 1);
    }

    /**
     * A Job's pod comes from the job controller with a generateName and (in the review's object) no namespace; its
     * init container gets the cache, its container that names its own GOPROXY keeps it. A debug container added
     * later (kubectl debug: an update of the pods/ephemeralcontainers subresource) is no CREATE of a pod: the API
     * server does not ask the webhook, and the debug session is not held up.
     */
    @Test
    @Order(3)
    void aJobsPodGetsTheCacheInItsInitContainerKeepsAGoproxyItSetsAndKubectlDebugIsNotReviewed() {
        String namespace = Namespaces.of("tekton");
        Commands.Result job = cluster.kubectlWithInput("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: go-build, namespace: %s}
                spec:
                  backoffLimit: 0
                  template:
                    metadata:
                      labels: {modproxy.dev/inject: "true"}
                    spec:
                      restartPolicy: Never
                      initContainers:
                        - {name: fetch, image: "golang:1.26", command: [go, mod, download]}
                      containers:
                        - name: build
                          image: "golang:1.26"
                          command: [go, build, ./...]
                          env:
                            - {name: GOPROXY, value: "https://goproxy.corp.example.com"}
                """.formatted(namespace), "apply", "-f", "-");
        assertThat(job.succeeded()).as(job.toString()).isTrue();

        Pod pod = await("the Job's pod")
                .atMost(READY_WITHIN)
                .until(
                        () -> admin.pods()
                                .inNamespace(namespace)
                                .withLabel("job-name", "go-build")
                                .list()
                                .getItems(),
                        pods -> !pods.isEmpty())
                .get(0);
        assertThat(env(container(pod, "fetch"), "GOPROXY")).startsWith("http://default." + namespace + ".svc");
        assertThat(env(container(pod, "build"), "GOPROXY")).isEqualTo("https://goproxy.corp.example.com");

        double before = reviews();
        Commands.Result debug = cluster.kubectl(
                "-n", namespace, "debug", "pod/" + pod.getMetadata().getName(), "--image=golang:1.26", "-c", "dbg");
        assertThat(debug.succeeded()).as(debug.toString()).isTrue();
        Pod debugged = admin.pods()
                .inNamespace(namespace)
                .withName(pod.getMetadata().getName())
                .get();
        assertThat(debugged.getSpec().getEphemeralContainers())
                .singleElement()
                .satisfies(c -> assertThat(c.getEnv()).isNullOrEmpty());
        assertThat(reviews()).as("reviews after kubectl debug").isEqualTo(before);
    }

    private static Container container(Pod pod, String name) {
        return allContainers(pod).stream()
                .filter(c -> name.equals(c.getName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(
                        "no container " + name + " in " + pod.getMetadata().getName()));
    }

    private static List<String> args(Container container) {
        return container.getArgs() == null ? List.of() : container.getArgs();
    }

    @Test
    @Order(4)
    void kanikoAndBuildkitStepsComeBackWithTheCacheAsABuildArgument() {
        String tekton = Namespaces.of("tekton");
        String cacheUrl = "http://default." + tekton + ".svc";

        Pod kaniko = create(fixturePod("tekton-kaniko-task-pod.json", tekton, "image-kaniko-pod"));
        Pod buildkit = create(fixturePod("tekton-buildkit-task-pod.json", tekton, "image-buildkit-pod"));

        Container kanikoStep = container(kaniko, "step-build-and-push");
        String goproxy = env(kanikoStep, "GOPROXY");
        assertThat(goproxy).startsWith(cacheUrl);
        // after Tekton's "--": the executor's own arguments, the build argument among them, the script's untouched
        assertThat(args(kanikoStep))
                .startsWith(fixturePod("tekton-kaniko-task-pod.json", tekton, "x").getSpec().getContainers().stream()
                        .filter(c -> c.getName().equals("step-build-and-push"))
                        .findFirst()
                        .orElseThrow()
                        .getArgs()
                        .toArray(String[]::new))
                .contains("--build-arg=GOPROXY=" + goproxy);
        assertThat(args(container(kaniko, "step-write-url"))).noneMatch(arg -> arg.contains("GOPROXY"));

        Container buildkitStep = container(buildkit, "step-build-and-push");
        assertThat(args(buildkitStep))
                .contains("--opt=build-arg:GOPROXY=" + env(buildkitStep, "GOPROXY"))
                .noneMatch(arg -> arg.startsWith("--build-arg"));
        assertThat(env(buildkitStep, "GOPROXY")).startsWith(cacheUrl);
    }

    @Test
    @Order(4)
    void buildsTheWebhookCannotRewriteAreNamedInAWarningKubectlShows() {
        String tekton = Namespaces.of("tekton");
        String jenkins = Namespaces.of("jenkins");

        Commands.Result buildah = cluster.kubectlWithInput(
                Serialization.asJson(fixturePod("tekton-buildah-task-pod.json", tekton, "image-buildah-pod")),
                "create",
                "-f",
                "-",
                "-o",
                "json");
        Commands.Result agent = cluster.kubectlWithInput(
                Serialization.asJson(fixturePod("jenkins-kaniko-agent-pod.json", jenkins, "image-kaniko-agent")),
                "create",
                "-f",
                "-",
                "-o",
                "json");

        assertThat(buildah.succeeded()).as(buildah.toString()).isTrue();
        assertThat(buildah.stderr())
                .contains("Warning: modproxy: pass --build-arg GOPROXY to the image build in step-build-and-push");
        Pod buildahPod = Serialization.unmarshal(buildah.stdout(), Pod.class);
        assertThat(env(container(buildahPod, "step-build-and-push"), "GOPROXY"))
                .startsWith("http://default." + tekton + ".svc");
        assertThat(args(container(buildahPod, "step-build-and-push"))).noneMatch(arg -> arg.contains("GOPROXY"));

        assertThat(agent.succeeded()).as(agent.toString()).isTrue();
        assertThat(agent.stderr()).contains("Warning: modproxy: pass --build-arg GOPROXY to the image build in kaniko");
        Pod agentPod = Serialization.unmarshal(agent.stdout(), Pod.class);
        assertThat(env(container(agentPod, "kaniko"), "GOPROXY")).startsWith("http://gomod." + jenkins + ".svc");
        assertThat(args(container(agentPod, "kaniko"))).containsExactly("9999999");
    }

    /**
     * Go variables as a pipeline template writes them, in alphabetical order with empty parameters, and read from a
     * ConfigMap: the API server applies the webhook's patch, the empty GONOPROXY and GONOSUMDB listed before GOPRIVATE
     * hold the cache's patterns and the container's GOPRIVATE written out (the kubelet would leave a $(GOPRIVATE)
     * there as written), and kubectl prints the warning naming every container whose GONOPROXY the webhook cannot read.
     */
    @Test
    @Order(4)
    void emptyGoVariablesBeforeGoPrivateGetItsPathsAndTheWarningNamesEveryContainerWhole() {
        String namespace = Namespaces.of("private");
        Map<String, Object> spec = Caches.smallSpec();
        spec.put("private", List.of("git.corp.example.com/*"));
        cache(namespace, "go-modules", spec);
        EnvVar fromConfigMap = new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                .withName("GONOPROXY")
                .withNewValueFrom()
                .withNewConfigMapKeyRef("noproxy", "go", null)
                .endValueFrom()
                .build();
        Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName("alphabetical")
                .withLabels(Map.of("modproxy.dev/inject", "true"))
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("step-unit-tests")
                .withImage("golang:1.26")
                .withEnv(
                        new EnvVar("GONOPROXY", "", null),
                        new EnvVar("GONOSUMDB", "", null),
                        new EnvVar("GOPRIVATE", "git.team.example.com/*", null))
                .endContainer()
                .addNewContainer()
                .withName("step-integration-tests")
                .withImage("golang:1.26")
                .withEnv(fromConfigMap)
                .endContainer()
                .addNewContainer()
                .withName("step-lint-and-vet")
                .withImage("golang:1.26")
                .withEnv(fromConfigMap)
                .endContainer()
                .endSpec()
                .build();

        Commands.Result created =
                cluster.kubectlWithInput(Serialization.asJson(pod), "create", "-f", "-", "-o", "json");

        assertThat(created.succeeded()).as(created.toString()).isTrue();
        assertThat(created.stderr())
                .contains("Warning: modproxy: private modules may reach the fallback: add " + namespace
                        + "/go-modules's spec.private to GONOPROXY in step-integration-tests, step-lint-and-vet\n");
        Container unitTests = container(Serialization.unmarshal(created.stdout(), Pod.class), "step-unit-tests");
        assertThat(env(unitTests, "GONOPROXY")).isEqualTo("git.corp.example.com/*,git.team.example.com/*");
        assertThat(env(unitTests, "GONOSUMDB")).isEqualTo("git.corp.example.com/*,git.team.example.com/*");
        assertThat(env(unitTests, "GOPROXY")).startsWith("http://go-modules." + namespace + ".svc");
    }

    /** The kubelet expands $(NAME) in env values; the API server stores the cache's text with each $ doubled. */
    @Test
    @Order(4)
    void aReferenceInACachesFallbackIsStoredEscapedSoThePodGetsTheText() {
        String namespace = Namespaces.of("dollar");
        Namespaces.ensure(admin, namespace);
        Map<String, Object> spec = Caches.smallSpec();
        spec.put("injection", Map.of("fallback", "https://collector.example.com/$(GITHUB_TOKEN)"));
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(namespace)
                .resource(Caches.cache(namespace, "gomod", spec))
                .create();

        // Ready or not: the fallback ends GOPROXY either way
        String goproxy = await("a pod given the new cache")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .until(
                        () -> env(
                                create(plainPod(
                                                namespace,
                                                "build-" + System.nanoTime(),
                                                Map.of("modproxy.dev/inject", "true")))
                                        .getSpec()
                                        .getContainers()
                                        .get(0),
                                "GOPROXY"),
                        Objects::nonNull);

        assertThat(goproxy).endsWith("https://collector.example.com/$$(GITHUB_TOKEN)");
    }

    /**
     * The webhook's informers lag behind the API server by a moment. A namespace labelled enabled (and annotated with
     * its cache) and an unlabelled pod created at the same time, as two commands of a CI job run side by side, 60
     * times; a GoProxyCache and, right after it, a pod naming it, 10 times. Every pod the API server sent to the
     * webhook comes back with GOPROXY. (An unlabelled pod the API server did not send, the label not stored yet or
     * not yet in its own namespace cache, is no pod the webhook could change: it is counted, and left out.)
     */
    @Test
    @Order(4)
    void aPodCreatedWithItsNamespaceLabelOrRightAfterItsCacheGetsGoproxy() throws Exception {
        String shared = Namespaces.of("tekton");
        int rounds = 60;
        List<String> labelled = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            String namespace = Namespaces.of("label-race-" + round);
            Namespaces.ensure(admin, namespace);
            labelled.add(namespace);
        }
        String caches = Namespaces.of("cache-race");
        Namespaces.ensure(admin, caches);
        labelled.add(caches);
        // the ServiceAccount admission plugin waits up to 2 s for a namespace's default ServiceAccount: not in the race
        labelled.forEach(namespace -> await("the default ServiceAccount of " + namespace)
                .atMost(READY_WITHIN)
                .until(() -> admin.serviceAccounts()
                                .inNamespace(namespace)
                                .withName("default")
                                .get()
                        != null));
        labelled.remove(caches);

        List<String> missed = new ArrayList<>();
        int sent = 0;
        ExecutorService sideBySide = Executors.newFixedThreadPool(2);
        try {
            for (String namespace : labelled) {
                double before = reviews();
                Future<?> label = sideBySide.submit(() -> admin.namespaces()
                        .withName(namespace)
                        .patch(PatchContext.of(PatchType.JSON_MERGE), """
                                {"metadata": {"labels": {"modproxy.dev/inject": "enabled"},
                                 "annotations": {"modproxy.dev/cache": "%s/default"}}}""".formatted(shared)));
                Future<Pod> created = sideBySide.submit(() -> create(plainPod(namespace, "with-the-label", Map.of())));
                label.get(60, TimeUnit.SECONDS);
                Pod pod = created.get(60, TimeUnit.SECONDS);
                if (reviews() > before) {
                    sent++;
                    if (env(pod.getSpec().getContainers().get(0), "GOPROXY") == null) {
                        missed.add(namespace);
                    }
                }
            }
        } finally {
            sideBySide.shutdownNow();
        }
        for (int round = 0; round < 10; round++) {
            admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                    .inNamespace(caches)
                    .resource(Caches.cache(caches, "race-" + round, Caches.smallSpec()))
                    .create();
            Pod pod = create(
                    plainPod(caches, "right-after-race-" + round, Map.of("modproxy.dev/inject", "race-" + round)));
            if (env(pod.getSpec().getContainers().get(0), "GOPROXY") == null) {
                missed.add(caches + "/race-" + round);
            }
        }

        System.out.printf(
                "WebhookIT race: %d of %d unlabelled pods sent by the API server; looked at again: %s; missed GOPROXY:"
                        + " %s%n",
                sent, rounds, operator.counter("modproxy_webhook_rechecks_total"), missed);
        assertThat(missed).as("pods the webhook left without GOPROXY").isEmpty();
        assertThat(sent).as("unlabelled pods the API server sent").isPositive();
    }

    @Test
    @Order(5)
    void certificateRotationLandsANewCaBundleAndAdmissionKeepsWorking() {
        String namespace = Namespaces.of("tekton");
        String before = caBundle();
        assertThat(before).isNotBlank();

        // a new CA, as when the old one expires: the operator issues it and publishes the new caBundle
        admin.secrets()
                .inNamespace(ChartRelease.NAMESPACE)
                .withName("modproxy-webhook-tls")
                .delete();
        await("a new caBundle in the MutatingWebhookConfiguration")
                .atMost(Duration.ofSeconds(60))
                .until(() -> caBundle() != null && !caBundle().equals(before));

        await("admission with the new certificate")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    Pod pod = create(plainPod(
                            namespace, "after-rotation-" + System.nanoTime(), Map.of("modproxy.dev/inject", "true")));
                    return env(pod.getSpec().getContainers().get(0), "GOPROXY") != null;
                });
    }

    @Test
    @Order(6)
    void withTheOperatorStoppedPodsAreStillCreatedPromptly() {
        String namespace = Namespaces.of("tekton");
        operator.close();

        long started = System.nanoTime();
        Pod pod = create(plainPod(namespace, "while-operator-down", Map.of("modproxy.dev/inject", "true")));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).isLessThan(Duration.ofSeconds(3));
        assertThat(env(pod.getSpec().getContainers().get(0), "GOPROXY")).isNull();
    }

    /**
     * With watchNamespaces set the webhook sees the caches of those namespaces only: a pod of another namespace that
     * holds a GoProxyCache is told the namespace is not watched, not that it has no cache.
     */
    @Test
    @Order(7)
    void withWatchNamespacesAPodOfAnUnwatchedNamespaceIsToldSoThoughItHoldsACache() {
        String watched = Namespaces.of("tekton");
        String unwatched = Namespaces.of("unwatched");
        operator.close();
        Namespaces.ensure(admin, unwatched);
        admin.genericKubernetesResources(Caches.GOPROXYCACHE)
                .inNamespace(unwatched)
                .resource(Caches.cache(unwatched, "w", Caches.smallSpec()))
                .create();
        Map<String, String> watching = new HashMap<>(operatorEnv);
        watching.put("QUARKUS_OPERATOR_SDK_CONTROLLERS_GOPROXYCACHE_NAMESPACES", watched);
        operator = OperatorProcess.start(
                "operator-webhook-watching", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), watching);

        // until the webhook answers: the API server admits pods unchanged while it cannot reach it
        Commands.Result created = await("a warning from the webhook")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .until(
                        () -> cluster.kubectlWithInput(
                                Serialization.asJson(plainPod(
                                        unwatched,
                                        "build-" + System.nanoTime(),
                                        Map.of("modproxy.dev/inject", "true"))),
                                "create",
                                "-f",
                                "-",
                                "-o",
                                "json"),
                        result -> result.stderr().contains("Warning: modproxy:"));

        assertThat(created.succeeded()).as(created.toString()).isTrue();
        assertThat(created.stderr())
                .contains("Warning: modproxy: the operator does not watch namespace " + unwatched
                        + ": add it to watchNamespaces; pod left unchanged")
                .doesNotContain("no GoProxyCache");
        Pod pod = Serialization.unmarshal(created.stdout(), Pod.class);
        assertThat(env(pod.getSpec().getContainers().get(0), "GOPROXY")).isNull();
    }

    /**
     * The MutatingWebhookConfiguration replaced without caBundle (as {@code helm upgrade --force-replace}, {@code
     * kubectl replace}, a GitOps tool re-creating it do), then one entry edited to trust another CA: each time a pod
     * created afterwards gets GOPROXY within seconds, from an operator whose certificate check is the default hourly
     * one, so only its watch of the configuration can have put the CA back. It watches under the chart's ClusterRole
     * (a list and a watch of that one name): nothing in its log is refused.
     */
    @Test
    @Order(8)
    void aWebhookConfigurationReplacedWithoutCaBundleGetsItBackWithinSeconds() {
        String namespace = Namespaces.of("tekton");
        operator.close();
        Map<String, String> hourly = new HashMap<>(operatorEnv);
        hourly.remove("MODPROXY_WEBHOOK_CERT_CHECK_INTERVAL");
        operator = OperatorProcess.start(
                "operator-webhook-hourly", cluster, ChartRelease.NAMESPACE, chart.operatorToken(), hourly);
        await("admission by the operator checking its certificate hourly")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> injected(namespace, "before-replace-"));
        String published = caBundle();
        assertThat(published).isNotBlank();

        MutatingWebhookConfiguration replacement = webhookConfiguration();
        replacement.getMetadata().setResourceVersion(null);
        replacement.getMetadata().setUid(null);
        replacement.getMetadata().setCreationTimestamp(null);
        replacement.getMetadata().setManagedFields(null);
        replacement.getMetadata().setGeneration(null);
        replacement.getWebhooks().forEach(webhook -> webhook.getClientConfig().setCaBundle(null));
        admin.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName("modproxy")
                .withTimeout(30, TimeUnit.SECONDS)
                .delete();
        admin.resource(replacement).create();
        long replaced = System.nanoTime();
        await("GOPROXY for a pod created after the configuration was replaced without caBundle")
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> injected(namespace, "after-replace-"));
        Duration backAfterReplace = Duration.ofNanos(System.nanoTime() - replaced);
        assertThat(caBundle()).isEqualTo(published);

        // the label entry, which the API server calls for these pods, told to trust the cluster's CA instead
        String foreign =
                Base64.getEncoder().encodeToString(cluster.caCertificate().getBytes(StandardCharsets.US_ASCII));
        Commands.Result edited = cluster.kubectl(
                "patch",
                "mutatingwebhookconfiguration",
                "modproxy",
                "--type=json",
                "-p",
                "[{\"op\": \"replace\", \"path\": \"/webhooks/1/clientConfig/caBundle\", \"value\": \"%s\"}]"
                        .formatted(foreign));
        assertThat(edited.succeeded()).as(edited.toString()).isTrue();
        long edit = System.nanoTime();
        await("every entry trusting the webhook's CA again after one was edited to trust another")
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> published.equals(caBundle()));
        Duration backAfterEdit = Duration.ofNanos(System.nanoTime() - edit);
        await("GOPROXY for a pod created after the edit")
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> injected(namespace, "after-edit-"));

        System.out.printf(
                "WebhookIT caBundle: back %d ms after the replace (first pod with GOPROXY), %d ms after the edit%n",
                backAfterReplace.toMillis(), backAfterEdit.toMillis());
        assertThat(operator.rbacDenials()).as("refusals in the operator's log").isEmpty();
        assertThat(operator.linesContaining("forbidden")).isEmpty();
        assertThat(operator.linesContaining("cannot watch MutatingWebhookConfiguration"))
                .isEmpty();
    }

    /** Whether a pod labelled for injection, created now, comes back from the API server with GOPROXY. */
    private boolean injected(String namespace, String prefix) {
        Pod pod = create(plainPod(namespace, prefix + System.nanoTime(), Map.of("modproxy.dev/inject", "true")));
        return env(pod.getSpec().getContainers().get(0), "GOPROXY") != null;
    }

    private MutatingWebhookConfiguration webhookConfiguration() {
        return admin.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName("modproxy")
                .get();
    }

    /** The caBundle of the entries, when they all carry the same one (null while they differ). */
    private String caBundle() {
        List<String> bundles = webhookConfiguration().getWebhooks().stream()
                .map(w -> w.getClientConfig().getCaBundle())
                .distinct()
                .toList();
        return bundles.size() == 1 ? bundles.get(0) : null;
    }
}
