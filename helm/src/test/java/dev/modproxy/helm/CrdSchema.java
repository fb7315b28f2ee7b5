package dev.modproxy.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The GoProxyCache spec schema of the committed CRD as a JSON Schema validator. It checks types,
 * patterns, enums, bounds and unknown fields (rejected, as kubectl's strict field validation does);
 * the CEL rules (x-kubernetes-validations) need an API server and are not evaluated here.
 */
final class CrdSchema {

    private final String apiVersion;
    private final String kind;
    private final JsonSchema spec;

    CrdSchema(CustomResourceDefinition crd) {
        CustomResourceDefinitionVersion served = crd.getSpec().getVersions().stream()
                .filter(CustomResourceDefinitionVersion::getStorage)
                .findFirst()
                .orElseThrow();
        this.apiVersion = crd.getSpec().getGroup() + "/" + served.getName();
        this.kind = crd.getSpec().getNames().getKind();
        JsonNode root =
                Serialization.jsonMapper().valueToTree(served.getSchema().getOpenAPIV3Schema());
        JsonNode specSchema = strict(root.get("properties").get("spec").deepCopy());
        this.spec = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(specSchema);
    }

    /** Every problem with one custom resource, as "field: what is wrong" lines; empty when valid. */
    List<String> problems(Map<String, Object> resource) {
        JsonNode node = Serialization.jsonMapper().valueToTree(resource);
        if (!apiVersion.equals(node.path("apiVersion").asText())
                || !kind.equals(node.path("kind").asText())) {
            return List.of("not a " + apiVersion + " " + kind + ": "
                    + node.path("apiVersion").asText() + " " + node.path("kind").asText());
        }
        String name = node.path("metadata").path("name").asText();
        if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name.length() > 63) {
            return List.of("metadata.name: '" + name + "' is not a DNS label");
        }
        return spec.validate(node.path("spec")).stream()
                .map(ValidationMessage::getMessage)
                .map(m -> m.replaceFirst("^\\$", "spec"))
                .sorted()
                .toList();
    }

    /** Closes objects the way the API server does: a field the schema does not declare is an error. */
    private static JsonNode strict(JsonNode schema) {
        if (schema instanceof ObjectNode object) {
            if (object.has("nullable") && object.path("nullable").asBoolean() && object.has("type")) {
                ArrayNode types =
                        object.arrayNode().add(object.get("type").asText()).add("null");
                object.set("type", types);
            }
            if (object.has("properties")
                    && !object.has("additionalProperties")
                    && !object.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
                object.put("additionalProperties", false);
            }
            for (Iterator<JsonNode> children = object.elements(); children.hasNext(); ) {
                strict(children.next());
            }
        } else if (schema instanceof ArrayNode array) {
            array.forEach(CrdSchema::strict);
        }
        return schema;
    }
}
