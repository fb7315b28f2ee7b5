package dev.modproxy.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@code kubectl get gpc} and {@code kubectl explain goproxycache} show users, read from the committed
 * CRD (crds/): the columns in the order they read best, and a description on everything modproxy defines.
 */
class CrdExplainsItselfTest {

    private static final Path CRD = Path.of("..", "crds", "goproxycaches.modproxy.dev-v1.yml");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JsonNode version;
    private static JsonNode schema;

    @BeforeAll
    static void readTheCommittedCrd() throws IOException {
        version = CrdRules.readYaml(CRD).at("/spec/versions/0");
        schema = version.at("/schema/openAPIV3Schema");
    }

    @Test
    void printerColumnsComeInTheDeclaredOrderWithNamesWithoutSpaces() {
        List<String> names = StreamSupport.stream(
                        version.get("additionalPrinterColumns").spliterator(), false)
                .map(c -> c.get("name").asText())
                .toList();
        assertThat(names).containsExactly("Ready", "Degraded", "Replicas", "URL", "Size", "Used", "HitRatio", "Age");
        assertThat(version.get("additionalPrinterColumns")).allSatisfy(column -> {
            assertThat(column.get("name").asText()).matches("[A-Za-z]+");
            if (!column.get("name").asText().equals("Age")) {
                assertThat(column.path("description").asText())
                        .as(column.toString())
                        .isNotBlank();
            }
        });
        assertThat(version.at("/additionalPrinterColumns/6/priority").asInt())
                .as("HitRatio only with -o wide")
                .isOne();
    }

    /** kubectl scale gpc/NAME and a HorizontalPodAutoscaler reach spec.replicas and the status the operator writes. */
    @Test
    void theScaleSubresourceSetsSpecReplicasAndReadsTheStatusReplicasAndSelector() {
        JsonNode scale = version.at("/subresources/scale");
        assertThat(scale.path("specReplicasPath").asText()).isEqualTo(".spec.replicas");
        assertThat(scale.path("statusReplicasPath").asText()).isEqualTo(".status.replicas");
        assertThat(scale.path("labelSelectorPath").asText()).isEqualTo(".status.selector");
        assertThat(schema.at("/properties/spec/properties/replicas/type").asText())
                .isEqualTo("integer");
        assertThat(schema.at("/properties/status/properties/replicas/type").asText())
                .isEqualTo("integer");
        assertThat(schema.at("/properties/status/properties/selector/type").asText())
                .isEqualTo("string");
        assertThat(version.has("subresources")
                        && version.at("/subresources/status").isObject())
                .as("the status subresource stays")
                .isTrue();
    }

    @Test
    void theKindItsSpecAndItsStatusAreDescribed() {
        assertThat(schema.path("description").asText()).contains("Go module proxy cache");
        assertThat(schema.at("/properties/spec/description").asText()).isNotBlank();
        assertThat(schema.at("/properties/status/description").asText()).isNotBlank();
    }

    @Test
    void everyPropertyModproxyDefinesIsDescribedAndEveryKubernetesTypeSaysWhatItAppliesTo() {
        List<String> undescribed = new ArrayList<>();
        List<String> kubernetesTypes = new ArrayList<>();
        walk(
                "spec",
                schema.at("/properties/spec"),
                JSON.constructType(GoProxyCacheSpec.class),
                undescribed,
                kubernetesTypes);
        walk(
                "status",
                schema.at("/properties/status"),
                JSON.constructType(GoProxyCacheStatus.class),
                undescribed,
                kubernetesTypes);

        assertThat(undescribed).as("properties without a description").isEmpty();
        assertThat(kubernetesTypes)
                .as("the walk reaches the Kubernetes types")
                .contains("spec.affinity", "spec.tolerations", "spec.resources");
        for (String path : kubernetesTypes) {
            assertThat(property(path).path("description").asText())
                    .as(path + " says what it applies to")
                    .containsPattern("proxy (pods|container)");
        }
    }

    @Test
    void conditionsHaveTheKubernetesConditionShape() {
        JsonNode conditions = schema.at("/properties/status/properties/conditions");
        assertThat(conditions.path("x-kubernetes-list-type").asText()).isEqualTo("map");
        assertThat(texts(conditions.path("x-kubernetes-list-map-keys"))).containsExactly("type");
        JsonNode condition = conditions.path("items");
        // metav1.Condition's: every field but observedGeneration required, with its bounds
        assertThat(texts(condition.path("required")))
                .containsExactlyInAnyOrder("type", "status", "reason", "message", "lastTransitionTime");
        assertThat(texts(condition.at("/properties/status/enum"))).containsExactly("True", "False", "Unknown");
        assertThat(condition.at("/properties/lastTransitionTime/format").asText())
                .isEqualTo("date-time");
        assertThat(condition.at("/properties/type/maxLength").asInt()).isEqualTo(316);
        assertThat(condition.at("/properties/reason/maxLength").asInt()).isEqualTo(1024);
        assertThat(condition.at("/properties/reason/minLength").asInt()).isEqualTo(1);
        assertThat(condition.at("/properties/message/maxLength").asInt()).isEqualTo(32768);
        assertThat(condition.at("/properties/observedGeneration/minimum").asInt())
                .isZero();
        java.util.regex.Pattern reason = java.util.regex.Pattern.compile(
                condition.at("/properties/reason/pattern").asText());
        assertThat(reason.matcher("RolloutFailed").matches()).isTrue();
        assertThat(reason.matcher("Rollout failed").matches()).isFalse();
        java.util.regex.Pattern type = java.util.regex.Pattern.compile(
                condition.at("/properties/type/pattern").asText());
        assertThat(type.matcher("Ready").matches()).isTrue();
        assertThat(type.matcher("modproxy.dev/Warm").matches()).isTrue();
        assertThat(type.matcher("Not ready").matches()).isFalse();
    }

    @Test
    void theWarmupStateIsOneOfAFewWordsInOneCasing() {
        List<String> states = texts(schema.at("/properties/status/properties/warmup/properties/state/enum"));
        assertThat(states).containsExactlyInAnyOrder("Pending", "Rejected", "Running", "Finished", "Interrupted");
        assertThat(states).allSatisfy(s -> assertThat(s).matches("[A-Z][a-z]+"));
    }

    @Test
    void anEgressProxyWithCredentialsInItsUrlIsRefused() {
        String rule = schema.at(
                        "/properties/spec/properties/egressProxy/properties/httpsProxy/x-kubernetes-validations/0/rule")
                .asText();
        String pattern = rule.substring("self.matches(r'".length(), rule.length() - "')".length());
        assertThat("http://proxy.corp.example.com:3128").matches(pattern);
        assertThat("proxy.corp.example.com:3128").matches(pattern);
        assertThat("http://build:s3cret@proxy.corp.example.com:3128").doesNotMatch(pattern);
    }

    /** Checks every property of an API type and of the Kubernetes types in it. */
    private static void walk(
            String path, JsonNode node, JavaType type, List<String> undescribed, List<String> kubernetesTypes) {
        Map<String, BeanPropertyDefinition> properties = new java.util.HashMap<>();
        JSON.getSerializationConfig().introspect(type).findProperties().forEach(p -> properties.put(p.getName(), p));
        node.path("properties").properties().forEach(entry -> {
            String child = path + "." + entry.getKey();
            JsonNode property = entry.getValue();
            if (property.path("description").asText().isBlank()) {
                undescribed.add(child);
            }
            BeanPropertyDefinition definition = properties.get(entry.getKey());
            assertThat(definition).as(child + " is a property of " + type).isNotNull();
            JavaType valueType = definition.getPrimaryType();
            JsonNode valueSchema = property;
            if (valueType.isCollectionLikeType()) {
                valueType = valueType.getContentType();
                valueSchema = property.path("items");
            } else if (valueType.isMapLikeType()) {
                valueType = valueType.getContentType();
                valueSchema = property.path("additionalProperties");
            }
            if (valueType.getRawClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
                kubernetesTypes.add(child);
                everyFieldDescribed(child, valueSchema, undescribed);
            } else if (valueType.getRawClass().getPackageName().equals(GoProxyCacheSpec.class.getPackageName())
                    && !valueType.isEnumType()) {
                walk(child, valueSchema, valueType, undescribed, kubernetesTypes);
            }
        });
    }

    private static void everyFieldDescribed(String path, JsonNode node, List<String> undescribed) {
        JsonNode object = node.has("items") ? node.get("items") : node;
        object.path("properties").properties().forEach(entry -> {
            if (entry.getValue().path("description").asText().isBlank()) {
                undescribed.add(path + "." + entry.getKey());
            }
            everyFieldDescribed(path + "." + entry.getKey(), entry.getValue(), undescribed);
        });
    }

    private static JsonNode property(String path) {
        JsonNode node = schema;
        for (String name : path.split("\\.")) {
            node = node.path("properties").path(name);
        }
        return node;
    }

    private static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false)
                .map(JsonNode::asText)
                .toList();
    }
}
