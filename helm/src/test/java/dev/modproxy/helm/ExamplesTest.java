package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every file in examples/ is something a user applies as is: it must parse and pass the CRD's schema. */
class ExamplesTest {

    static final String INJECT = "modproxy.dev/inject";

    static CrdSchema schema;

    @BeforeAll
    static void loadCrd() throws IOException {
        schema = new CrdSchema(CrdTest.committedCrd());
    }

    static Path examples() {
        return Chart.repositoryRoot().resolve("examples");
    }

    static Stream<Path> yamlExamples() throws IOException {
        try (Stream<Path> files = Files.list(examples())) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    static List<HasMetadata> read(Path file) throws IOException {
        return Chart.parse(Files.readString(file));
    }

    /** The agent pod of the Jenkinsfile: the YAML between yaml ''' and '''. */
    static Pod jenkinsAgentPod() throws IOException {
        String jenkinsfile = Files.readString(examples().resolve("Jenkinsfile"));
        int start = jenkinsfile.indexOf("yaml '''") + "yaml '''".length();
        int end = jenkinsfile.indexOf("'''", start);
        assertTrue(start > "yaml '''".length() && end > start, "the Jenkinsfile has no inline pod YAML");
        return Serialization.unmarshal(jenkinsfile.substring(start, end), Pod.class);
    }

    static List<HasMetadata> allExamples() throws IOException {
        List<HasMetadata> all = new ArrayList<>();
        for (Path file : (Iterable<Path>) yamlExamples()::iterator) {
            all.addAll(read(file));
        }
        return all;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("yamlExamples")
    void everyExampleParsesAndEveryCacheMatchesTheCrdSchema(Path file) throws IOException {
        List<HasMetadata> objects = read(file);
        assertFalse(objects.isEmpty(), file + " holds no object");
        for (HasMetadata object : objects) {
            assertTrue(
                    object.getMetadata().getName() != null
                            || object.getMetadata().getGenerateName() != null,
                    file + ": no name");
            if ("GoProxyCache".equals(object.getKind())) {
                assertEquals(
                        List.of(),
                        schema.problems(asMap(object)),
                        file.getFileName().toString());
            }
        }
    }

    @Test
    void aCacheWithTyposIsRejectedNamingEachField() throws IOException {
        Path invalid = Chart.repositoryRoot().resolve("helm/src/test/resources/invalid/goproxycache-typos.yaml");
        List<String> problems = schema.problems(asMap(read(invalid).get(0)));

        // spec.upstream and spec.storage.size are refused by CEL rules (which say in words what a GOPROXY list and a
        // quantity are, where a pattern printed its regex), and only an API server runs those: the operator's
        // CrdValidationRulesTest evaluates them
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("noSumDb")), problems.toString());
    }

    @Test
    void theChinaCacheUsesReachableMirrors() throws IOException {
        Map<String, Object> spec = spec("goproxycache-china.yaml");
        assertEquals("https://goproxy.cn|https://mirrors.aliyun.com/goproxy/", spec.get("upstream"));
        assertTrue(
                ((String) spec.get("sumdb")).contains("https://goproxy.cn/sumdb/"),
                "sum.golang.org itself is not reachable from China");
    }

    @Test
    void thePrivateCacheKeepsPrivatePathsAwayFromUpstreams() throws IOException {
        Map<String, Object> spec = spec("goproxycache-private.yaml");
        List<?> privatePatterns = (List<?>) spec.get("private");
        List<?> noSumDb = (List<?>) spec.get("noSumDB");
        assertFalse(privatePatterns.isEmpty());
        assertTrue(noSumDb.containsAll(privatePatterns), "private modules can't be in the public checksum database");
    }

    @Test
    void buildPodsTasksAndRunsCarryTheInjectLabel() throws IOException {
        List<HasMetadata> labeled = new ArrayList<>();
        for (HasMetadata object : allExamples()) {
            if (Set.of("Pod", "Task", "PipelineRun").contains(object.getKind())) {
                labeled.add(object);
            }
        }
        labeled.add(jenkinsAgentPod());
        assertEquals(
                Set.of("Pod", "Task", "PipelineRun"),
                labeled.stream().map(HasMetadata::getKind).collect(Collectors.toSet()));
        assertEquals(4, labeled.size());
        for (HasMetadata object : labeled) {
            String value = object.getMetadata().getLabels() == null
                    ? null
                    : object.getMetadata().getLabels().get(INJECT);
            assertTrue(
                    value != null && !value.equals("false"),
                    object.getKind() + " " + object.getMetadata().getName() + " is not opted in");
        }
    }

    @Test
    void everyOptedInPodResolvesToACacheTheExamplesCreate() throws IOException {
        List<HasMetadata> all = allExamples();
        List<HasMetadata> caches =
                all.stream().filter(o -> "GoProxyCache".equals(o.getKind())).toList();
        List<HasMetadata> labeled = new ArrayList<>(all.stream()
                .filter(o -> o.getMetadata().getLabels() != null
                        && o.getMetadata().getLabels().containsKey(INJECT))
                .toList());
        labeled.add(jenkinsAgentPod());
        for (HasMetadata object : labeled) {
            String value = object.getMetadata().getLabels().get(INJECT);
            assertTrue(
                    LABEL_VALUE.matcher(value).matches(),
                    object.getKind() + ": '" + value + "' is not a valid label value");
            String cache = chosenCache(object, caches);
            assertTrue(
                    caches.stream().anyMatch(c -> key(c).equals(cache)),
                    object.getKind() + " " + object.getMetadata().getName() + " asks for " + cache
                            + ", which no example creates");
        }
    }

    /** Kubernetes label values: 63 characters at most, alphanumeric at both ends, no '/'. */
    static final Pattern LABEL_VALUE = Pattern.compile("^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$");

    /** The webhook's choice for an opted-in pod (docs/injection.md): a named cache, the pod's annotation, the namespace default. */
    static String chosenCache(HasMetadata pod, List<HasMetadata> caches) {
        // a pod template without a namespace (Jenkins) must name its cache as namespace/name
        String namespace = pod.getMetadata().getNamespace() == null
                ? "(the agent's namespace)"
                : pod.getMetadata().getNamespace();
        String label = pod.getMetadata().getLabels().get(INJECT);
        if (!label.equals("true")) {
            return namespace + "/" + label;
        }
        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null
                ? Map.of()
                : pod.getMetadata().getAnnotations();
        String named = annotations.get("modproxy.dev/cache");
        if (named != null) {
            return named.contains("/") ? named : namespace + "/" + named;
        }
        List<HasMetadata> defaults = caches.stream()
                .filter(c -> namespace.equals(c.getMetadata().getNamespace())
                        && c.getMetadata().getAnnotations() != null
                        && "true".equals(c.getMetadata().getAnnotations().get("modproxy.dev/default")))
                .toList();
        return defaults.isEmpty() ? "(no default cache in " + namespace + ")" : key(defaults.get(0));
    }

    static String key(HasMetadata object) {
        return object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    }

    static Map<String, Object> spec(String file) throws IOException {
        HasMetadata cache = read(examples().resolve(file)).get(0);
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) asMap(cache).get("spec");
        return spec;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(HasMetadata object) {
        if (object instanceof GenericKubernetesResource generic) {
            return Serialization.jsonMapper().convertValue(generic, Map.class);
        }
        return Serialization.jsonMapper().convertValue(object, Map.class);
    }
}
