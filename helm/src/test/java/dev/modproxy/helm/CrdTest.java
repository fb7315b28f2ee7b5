package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The chart ships the CRD the operator's build generates, unchanged. */
class CrdTest {

    static final String CRD_FILE = "goproxycaches.modproxy.dev-v1.yml";

    static CustomResourceDefinition committedCrd() throws IOException {
        return Serialization.unmarshal(
                Files.readString(Chart.repositoryRoot().resolve("crds").resolve(CRD_FILE)),
                CustomResourceDefinition.class);
    }

    @Test
    void chartCopyEqualsTheCommittedCrd() throws IOException {
        Path root = Chart.repositoryRoot();
        assertEquals(
                Files.readString(root.resolve("crds").resolve(CRD_FILE)),
                Files.readString(root.resolve("helm/modproxy/files").resolve(CRD_FILE)),
                "helm/modproxy/files/" + CRD_FILE + " is stale; refresh it with: cp crds/" + CRD_FILE
                        + " helm/modproxy/files/");
    }

    @Test
    void renderedCrdIsTheCommittedOneKeptOnUninstall() throws IOException {
        CustomResourceDefinition rendered = Chart.render().one(CustomResourceDefinition.class);
        assertEquals("keep", rendered.getMetadata().getAnnotations().get("helm.sh/resource-policy"));

        rendered.getMetadata().getAnnotations().remove("helm.sh/resource-policy");
        JsonNode expected = Serialization.jsonMapper().valueToTree(committedCrd());
        JsonNode actual = Serialization.jsonMapper().valueToTree(rendered);
        // the generated file carries no annotations, so after removing the chart's there are none
        ((ObjectNode) actual.get("metadata")).remove("annotations");
        ((ObjectNode) expected.get("metadata")).remove("annotations");
        assertTrue(expected.equals(actual), "the chart renders a CRD that differs from crds/" + CRD_FILE);
    }

    @Test
    void crdCanBeLeftToAnotherTool() {
        Rendered rendered = Chart.render(Chart.values("crds.install", false));
        assertTrue(rendered.all(CustomResourceDefinition.class).isEmpty());
    }

    @Test
    void crdCanBeRemovedWithTheRelease() {
        CustomResourceDefinition rendered =
                Chart.render(Chart.values("crds.keep", false)).one(CustomResourceDefinition.class);
        assertTrue(rendered.getMetadata().getAnnotations() == null
                || !rendered.getMetadata().getAnnotations().containsKey("helm.sh/resource-policy"));
    }
}
