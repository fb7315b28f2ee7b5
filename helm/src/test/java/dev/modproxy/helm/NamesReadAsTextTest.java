package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Names the chart writes that YAML could read as something else. helm and kubectl read manifests as YAML 1.1 (Go's
 * sigs.k8s.io/yaml), where an unquoted yes, on, true or 123 is a boolean or a number, which no name, namespace or
 * label value may be: `helm install yes helm/modproxy` (helm 4.3.2, e2e control plane) failed with "unable to build
 * kubernetes objects from release manifest: unable to decode "": json: cannot unmarshal bool into Go struct field
 * ObjectMeta.metadata.labels of type string", naming neither the object nor the value. Release names, namespaces and
 * the values naming an object are all strings a user may pick like that (helm takes a release named yes, Kubernetes a
 * namespace named 123, the schema a PrometheusRule for of "0"). Read here with SnakeYAML, a YAML 1.1 reader as Go's
 * is.
 */
class NamesReadAsTextTest {

    /**
     * Keys whose value Kubernetes takes only as a string, wherever they are in an object (for: a PrometheusRule's
     * duration, which its CRD types as a string; the schema takes "0").
     */
    private static final Set<String> STRING_FIELDS = Set.of(
            "name", "namespace", "priorityClassName", "secretName", "serviceAccountName", "group", "kind", "for");
    /** Maps whose every value Kubernetes takes only as a string. */
    private static final Set<String> STRING_MAPS = Set.of("labels", "matchLabels", "annotations");

    @Test
    void namesThatYamlReadsAsBooleansOrNumbersStayStrings() {
        String values = String.join(
                "\n",
                "fullnameOverride: \"on\"",
                "createNamespace: true",
                "watchNamespaces: [\"123\", \"true\"]",
                "operator:",
                "  replicas: 2",
                "  priorityClassName: \"yes\"",
                "webhook:",
                "  certMode: cert-manager",
                "  excludeNamespaces: [\"off\"]",
                "  certManager:",
                "    issuerRef: {name: \"456\", kind: ClusterIssuer}",
                "grafana:",
                "  dashboard: {enabled: true, namespace: \"no\"}",
                "prometheusRule:",
                "  enabled: true",
                "  namespace: \"789\"",
                "  alerts:",
                "    upstreamCircuitOpen: {for: \"0\"}",
                "");
        String rendered = Chart.templateWithValuesFile("yes", "true", values);

        List<String> misread = new ArrayList<>();
        int documents = 0;
        for (String document : rendered.split("(?m)^---\\s*$")) {
            Object object = new Yaml().load(document);
            if (!(object instanceof Map<?, ?> map) || "CustomResourceDefinition".equals(map.get("kind"))) {
                continue; // the CRD is written by toYaml, which quotes what needs it
            }
            documents++;
            collectMisread(map, map.get("kind") + "/" + name(map), misread);
        }
        assertTrue(documents >= 15, "rendered only " + documents + " objects");
        assertEquals(List.of(), misread, "fields YAML reads as no string, which the API server refuses");
    }

    private static Object name(Map<?, ?> object) {
        return object.get("metadata") instanceof Map<?, ?> metadata ? metadata.get("name") : null;
    }

    private static void collectMisread(Object node, String path, List<String> misread) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> {
                String at = path + "." + key;
                if (STRING_FIELDS.contains(String.valueOf(key))) {
                    checkScalar(value, at, misread);
                }
                if (STRING_MAPS.contains(String.valueOf(key)) && value instanceof Map<?, ?> entries) {
                    entries.forEach((k, v) -> checkScalar(v, at + "." + k, misread));
                }
                collectMisread(value, at, misread);
            });
        } else if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                collectMisread(list.get(i), path + "[" + i + "]", misread);
            }
        }
    }

    private static void checkScalar(Object value, String at, List<String> misread) {
        if (value instanceof Boolean || value instanceof Number) {
            misread.add(at + ": " + value + " (" + value.getClass().getSimpleName() + ")");
        }
    }
}
