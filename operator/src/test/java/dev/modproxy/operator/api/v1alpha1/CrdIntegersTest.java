package dev.modproxy.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One GoProxyCache the operator cannot read stops its informer, and with it every cache in the cluster: so the
 * committed CRD (crds/) lets the API server store no integer larger than the Java int the operator reads it into.
 */
class CrdIntegersTest {

    private static final Path CRD = Path.of("..", "crds", "goproxycaches.modproxy.dev-v1.yml");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JsonNode schema;

    @BeforeAll
    static void readTheCommittedCrd() throws IOException {
        schema = CrdRules.readYaml(CRD).at("/spec/versions/0/schema/openAPIV3Schema");
    }

    @Test
    void aReplicaCountBeyondAnIntIsWhatTheOperatorCannotRead() {
        assertThatThrownBy(() -> Serialization.unmarshal(
                        "{\"apiVersion\":\"modproxy.dev/v1alpha1\",\"kind\":\"GoProxyCache\",\"metadata\":{\"name\":\"a\"},"
                                + "\"spec\":{\"replicas\":2147483648}}",
                        GoProxyCache.class))
                .rootCause()
                .hasMessageContaining("out of range of int");
    }

    @Test
    void everyIntegerReadIntoAnIntTakesOnlyInt32Values() {
        Map<String, JsonNode> ints = new HashMap<>();
        walk("spec", schema.at("/properties/spec"), JSON.constructType(GoProxyCacheSpec.class), ints);
        walk("status", schema.at("/properties/status"), JSON.constructType(GoProxyCacheStatus.class), ints);

        assertThat(ints)
                .as("the walk reaches modproxy's ints and fabric8's")
                .containsKeys(
                        "spec.replicas",
                        "spec.storage.highWatermark",
                        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[].weight",
                        "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[].weight");
        List<String> unbounded = new ArrayList<>();
        ints.forEach((path, node) -> {
            if (!node.path("format").asText().equals("int32")
                    || !node.has("maximum")
                    || node.get("maximum").asDouble() > Integer.MAX_VALUE
                    || !node.has("minimum")
                    || node.get("minimum").asDouble() < Integer.MIN_VALUE) {
                unbounded.add(path);
            }
        });
        assertThat(unbounded).as("integers without the int32 format and range").isEmpty();
    }

    /** Collects the schema of every property whose Java type is int or Integer, with its path. */
    private static void walk(String path, JsonNode node, JavaType type, Map<String, JsonNode> ints) {
        Class<?> raw = type.getRawClass();
        if (raw == int.class || raw == Integer.class) {
            ints.put(path, node);
        } else if (type.isCollectionLikeType()) {
            walk(path + "[]", node.path("items"), type.getContentType(), ints);
        } else if (type.isMapLikeType()) {
            walk(path + "{}", node.path("additionalProperties"), type.getContentType(), ints);
        } else if (node.has("properties")) {
            Map<String, JavaType> properties = new HashMap<>();
            JSON.getDeserializationConfig()
                    .introspect(type)
                    .findProperties()
                    .forEach(p -> properties.put(p.getName(), p.getPrimaryType()));
            node.get("properties").properties().forEach(entry -> {
                JavaType property = properties.get(entry.getKey());
                if (property != null) {
                    walk(path + "." + entry.getKey(), entry.getValue(), property, ints);
                }
            });
        }
    }
}
