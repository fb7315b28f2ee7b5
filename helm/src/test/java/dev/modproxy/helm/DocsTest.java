package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md documents every field a user can write in a GoProxyCache spec, and the columns {@code kubectl
 * get gpc} prints.
 */
class DocsTest {

    /** Kubernetes' own types, documented by Kubernetes: only the field itself is listed. */
    static final Set<String> KUBERNETES_TYPES = Set.of(
            "resources",
            "affinity",
            "tolerations",
            "nodeSelector",
            "podLabels",
            "podAnnotations",
            "metrics.serviceMonitor.labels",
            "podSecurityContext",
            "securityContext",
            "service.annotations");

    @Test
    void configurationDocumentsEverySpecField() throws IOException {
        String doc = Files.readString(Chart.repositoryRoot().resolve("docs/configuration.md"));
        JSONSchemaProps spec = CrdTest.committedCrd()
                .getSpec()
                .getVersions()
                .get(0)
                .getSchema()
                .getOpenAPIV3Schema()
                .getProperties()
                .get("spec");
        List<String> missing = new ArrayList<>();
        for (String field : fields("", spec)) {
            if (!doc.contains("`" + field + "`")) {
                missing.add(field);
            }
        }
        assertEquals(List.of(), missing, "spec fields without a row in docs/configuration.md");
    }

    @Test
    void configurationNamesTheColumnsOfKubectlGetGpc() throws IOException {
        String doc = Files.readString(Chart.repositoryRoot().resolve("docs/configuration.md"));
        Matcher sentence = Pattern.compile("`kubectl get gpc` shows ([^;]*); `-o wide` adds ([^.]*)\\.")
                .matcher(doc);
        assertTrue(sentence.find(), "docs/configuration.md names no columns of kubectl get gpc");
        List<CustomResourceColumnDefinition> columns =
                CrdTest.committedCrd().getSpec().getVersions().get(0).getAdditionalPrinterColumns();
        // priority 0: every `kubectl get`; more than 0: only with -o wide
        assertEquals(
                columns.stream()
                        .filter(c -> Objects.requireNonNullElse(c.getPriority(), 0) == 0)
                        .map(CustomResourceColumnDefinition::getName)
                        .toList(),
                namesIn(sentence.group(1)),
                "kubectl get gpc's columns in docs/configuration.md");
        assertEquals(
                columns.stream()
                        .filter(c -> Objects.requireNonNullElse(c.getPriority(), 0) > 0)
                        .map(CustomResourceColumnDefinition::getName)
                        .toList(),
                namesIn(sentence.group(2)),
                "kubectl get gpc -o wide's added columns in docs/configuration.md");
    }

    /** "Ready, Degraded (what it means), URL and Age": the names, without what the parentheses say of them. */
    private static List<String> namesIn(String list) {
        return List.of(list.replaceAll("\\s*\\([^)]*\\)", "").split(",\\s*|\\s+and\\s+"));
    }

    static List<String> fields(String prefix, JSONSchemaProps schema) {
        List<String> fields = new ArrayList<>();
        for (Map.Entry<String, JSONSchemaProps> property :
                schema.getProperties().entrySet()) {
            String path = prefix + property.getKey();
            JSONSchemaProps child = property.getValue();
            boolean nested = "object".equals(child.getType())
                    && !child.getProperties().isEmpty()
                    && !KUBERNETES_TYPES.contains(path);
            if (nested) {
                fields.addAll(fields(path + ".", child));
            } else {
                fields.add(path);
            }
        }
        return fields;
    }
}
