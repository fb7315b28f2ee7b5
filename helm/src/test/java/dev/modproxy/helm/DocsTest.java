package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** docs/configuration.md documents every field a user can write in a GoProxyCache spec. */
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
