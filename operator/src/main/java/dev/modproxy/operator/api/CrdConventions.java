package dev.modproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.modproxy.operator.api.v1alpha1.CacheCondition;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheStatus;
import dev.modproxy.operator.api.v1alpha1.ProxyTuning;
import dev.modproxy.operator.api.v1alpha1.ServiceSettings;
import dev.modproxy.operator.settings.ProxySettings;
import dev.modproxy.operator.settings.SpecProblems;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRuleBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the CRD generator cannot read from annotations, applied to the CRD it generates (at build time,
 * through {@code quarkus.operator-sdk.crd.post-processor}): printer columns in the order they are
 * declared on {@link GoProxyCache} (the generator sorts them by name), descriptions of the kind, spec and
 * status (their fields belong to fabric8's {@code CustomResource}), and the Kubernetes condition shape of
 * {@code status.conditions} (metav1.Condition's: a list keyed by type, every field required, its bounds).
 */
public class CrdConventions implements CRDPostProcessor {

    @Override
    public HasMetadata process(HasMetadata generated, String crdSpecVersion) {
        if (generated instanceof CustomResourceDefinition crd) {
            crd.getSpec().getVersions().forEach(CrdConventions::apply);
        }
        return generated;
    }

    private static void apply(CustomResourceDefinitionVersion version) {
        List<String> declared = Arrays.stream(GoProxyCache.class.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name)
                .toList();
        if (version.getAdditionalPrinterColumns() != null) {
            version.getAdditionalPrinterColumns()
                    .sort(Comparator.comparingInt((CustomResourceColumnDefinition c) -> declared.indexOf(c.getName())));
        }
        JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
        root.setDescription(description(GoProxyCache.class));
        JSONSchemaProps spec = root.getProperties().get("spec");
        spec.setDescription(description(GoProxyCacheSpec.class));
        defaultTheSpec(spec);
        JSONSchemaProps status = root.getProperties().get("status");
        status.setDescription(description(GoProxyCacheStatus.class));
        conditionShape(status.getProperties().get("conditions"));
        KUBERNETES_TYPES.forEach((property, podPath) -> pointToKubectlExplain(property(spec, property), podPath));
        refuseOwnedVariables(spec.getProperties().get("proxy"));
        checkWhatAContainerEnvTakes(
                spec.getProperties().get("proxy").getProperties().get("env"));
        refuseReservedPodLabels(spec.getProperties().get("podLabels"));
        checkWhatThePodTemplateTakes(spec);
        patternListsAreSets(spec);
        refuseNamesNoServiceCanTake(root);
        boundIntegersJavaReadsAsInt(root, MAPPER.constructType(GoProxyCache.class));
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * The generator writes {@code type: integer} with no bounds, so the API server stored replicas: 2147483648 (or
     * an affinity weight as large), which no Java int holds: the operator's informer could not read it and stopped
     * watching, and no cache in the cluster was reconciled any more. Each integer the operator reads into an int
     * (its own fields and fabric8's) gets the int32 range, as Kubernetes' own int32 fields have.
     */
    private static void boundIntegersJavaReadsAsInt(JSONSchemaProps schema, JavaType type) {
        if (schema == null || type == null) {
            return;
        }
        Class<?> raw = type.getRawClass();
        if ("integer".equals(schema.getType()) && (raw == int.class || raw == Integer.class)) {
            schema.setFormat("int32");
            schema.setMinimum(
                    Math.max(Integer.MIN_VALUE, schema.getMinimum() == null ? Integer.MIN_VALUE : schema.getMinimum()));
            schema.setMaximum(
                    Math.min(Integer.MAX_VALUE, schema.getMaximum() == null ? Integer.MAX_VALUE : schema.getMaximum()));
        } else if (type.isCollectionLikeType() && schema.getItems() != null) {
            boundIntegersJavaReadsAsInt(schema.getItems().getSchema(), type.getContentType());
        } else if (type.isMapLikeType() && schema.getAdditionalProperties() != null) {
            boundIntegersJavaReadsAsInt(schema.getAdditionalProperties().getSchema(), type.getContentType());
        } else if (schema.getProperties() != null) {
            Map<String, JavaType> properties = new HashMap<>();
            MAPPER.getDeserializationConfig()
                    .introspect(type)
                    .findProperties()
                    .forEach(p -> properties.put(p.getName(), p.getPrimaryType()));
            schema.getProperties()
                    .forEach((name, property) -> boundIntegersJavaReadsAsInt(property, properties.get(name)));
        }
    }

    /**
     * A cache created without a spec ran on the operator's defaults (fabric8 makes an empty spec of a missing one)
     * while the API server held no spec, so the transition rules, which run only where the old object has the field,
     * had nothing to compare: a later storage.size below the 10Gi volume, or a storageClassName, was accepted, and the
     * volume claim's update then failed. Defaulted to {}, the spec is filled with the same defaults as "spec: {}" (on
     * create, and on every read of a cache stored without one), so the rules see what the operator applied. The API
     * server checks this {} against the spec's rules before it takes the CRD, without the nested defaults, so every
     * rule on the spec reads its fields through has().
     */
    private static void defaultTheSpec(JSONSchemaProps spec) {
        spec.setDefault(MAPPER.createObjectNode());
    }

    /**
     * A rule on the object's root, the one place CEL sees metadata.name: a name the cache's Service cannot take
     * (longer than {@link SpecProblems#MAX_NAME_LENGTH}, a dot, a leading digit) is refused at kubectl apply rather
     * than accepted and reported Degraded, to be deleted and made again. Its refusal names metadata.name (it said
     * {@code <nil>}): a rule's fieldPath must be a property the schema declares, so the root declares metadata.name
     * (a CRD's schema may declare metadata's name and generateName, nothing else of it).
     */
    private static void refuseNamesNoServiceCanTake(JSONSchemaProps root) {
        root.getProperties()
                .put(
                        "metadata",
                        new JSONSchemaPropsBuilder()
                                .withType("object")
                                .addToProperties(
                                        "name",
                                        new JSONSchemaPropsBuilder()
                                                .withType("string")
                                                .build())
                                .build());
        addRule(
                root,
                new ValidationRuleBuilder()
                        .withRule("self.metadata.name.size() <= " + SpecProblems.MAX_NAME_LENGTH
                                + " && self.metadata.name.matches('" + SpecProblems.NAME_PATTERN + "')")
                        .withMessage(SpecProblems.NAME_MESSAGE)
                        .withFieldPath(".metadata.name")
                        .withReason("FieldValueInvalid")
                        .build());
    }

    /**
     * Spec properties of Kubernetes' own types, and where a pod has the same type. fabric8's model classes carry no
     * descriptions, so their fields would stand bare in kubectl explain; each says where the full text is instead.
     */
    private static final Map<String, String> KUBERNETES_TYPES = Map.of(
            "affinity", "pod.spec.affinity",
            "tolerations", "pod.spec.tolerations",
            "resources", "pod.spec.containers.resources",
            "imagePullSecrets", "pod.spec.imagePullSecrets",
            "proxy.env", "pod.spec.containers.env",
            "podSecurityContext", "pod.spec.securityContext",
            "securityContext", "pod.spec.containers.securityContext");

    /** A property by its dotted path under spec ("proxy.env"), or null. */
    private static JSONSchemaProps property(JSONSchemaProps spec, String path) {
        JSONSchemaProps property = spec;
        for (String name : path.split("\\.")) {
            if (property == null || property.getProperties() == null) {
                return null;
            }
            property = property.getProperties().get(name);
        }
        return property;
    }

    /**
     * One rule per variable the operator sets, so the API server refuses it in spec.proxy.env with the field to
     * use instead, under any name the proxy reads as it (modproxy.upstream, modproxy_upstream:
     * {@link ProxySettings#ownedVariable}). Generated from {@link ProxySettings#OWNED_VARIABLES}: an annotation could not follow that list.
     */
    private static void refuseOwnedVariables(JSONSchemaProps proxy) {
        ProxySettings.OWNED_VARIABLES
                .keySet()
                .forEach(name -> addRule(
                        proxy,
                        new ValidationRuleBuilder()
                                .withRule("!has(self.env) || !self.env.exists(e, e.name.matches('"
                                        + ProxySettings.ownedVariablePattern(name) + "'))")
                                .withMessage(ProxySettings.ownedVariableMessage(name))
                                .withFieldPath(".env")
                                .withReason("FieldValueForbidden")
                                .build()));
        // the API server prices each rule by the longest name it may see: unbounded, these are over its limit
        proxy.getProperties()
                .get("env")
                .getItems()
                .getSchema()
                .getProperties()
                .get("name")
                .setMaxLength(ProxyTuning.ENV_NAME_MAX_LENGTH);
    }

    /**
     * spec.proxy.env as a container's env is: a list keyed by name (a name twice was answered 500 by the API server's
     * server-side apply of the Deployment, for ever), each entry with a name Kubernetes takes and a value or one
     * source of it. Each refusal names the entry (spec.proxy.env[1]...), where the Deployment's refusal named its own
     * field.
     */
    private static void checkWhatAContainerEnvTakes(JSONSchemaProps env) {
        env.setXKubernetesListType("map");
        env.setXKubernetesListMapKeys(List.of("name"));
        JSONSchemaProps entry = env.getItems().getSchema();
        entry.setRequired(List.of("name"));
        addRule(
                entry.getProperties().get("name"),
                new ValidationRuleBuilder()
                        .withRule("self.matches('" + ProxyTuning.ENV_NAME_PATTERN + "')")
                        .withMessage(ProxyTuning.ENV_NAME_MESSAGE)
                        .withReason("FieldValueInvalid")
                        .build());
        addRule(
                entry,
                new ValidationRuleBuilder()
                        .withRule("!has(self.valueFrom) || !has(self.value) || self.value == ''")
                        .withMessage(ProxyTuning.ENV_VALUE_OR_SOURCE_MESSAGE)
                        .withReason("FieldValueInvalid")
                        .build());
        addRule(
                entry.getProperties().get("valueFrom"),
                new ValidationRuleBuilder()
                        .withRule("[has(self.configMapKeyRef), has(self.fieldRef), has(self.resourceFieldRef), "
                                + "has(self.secretKeyRef)].filter(source, source).size() == 1")
                        .withMessage(ProxyTuning.ENV_ONE_SOURCE_MESSAGE)
                        .withReason("FieldValueInvalid")
                        .build());
    }

    /**
     * One rule per label the operator puts on the proxy pods itself ({@link SpecProblems#RESERVED_POD_LABELS}), which
     * spec.podLabels could only seem to set: the operator's value replaced it without a word. A key lookup, so the
     * rule's cost does not grow with the map.
     */
    private static void refuseReservedPodLabels(JSONSchemaProps podLabels) {
        SpecProblems.RESERVED_POD_LABELS.forEach(label -> addRule(
                podLabels,
                new ValidationRuleBuilder()
                        .withRule("!('" + label + "' in self)")
                        .withMessage(SpecProblems.reservedPodLabelMessage(label))
                        .withReason("FieldValueForbidden")
                        .build()));
    }

    /**
     * The fields the operator passes on into the Deployment's pod template and the Service as they are, checked as
     * Kubernetes checks them there ({@link KubernetesSyntax}): taken by the CRD, a value the Deployment could not
     * carry held the cache's Deployment back, under a message naming the Deployment's field. Value rules sit on the
     * map's values, so a refusal names the key (spec.podLabels[team]); key rules on the map, which alone sees them.
     * Each map and list is bounded: the API server prices a rule by the most entries and characters it may see.
     */
    private static void checkWhatThePodTemplateTakes(JSONSchemaProps spec) {
        // the ServiceMonitor's labels too: the API server refused the ServiceMonitor over one, quoting its own field
        for (String labels : List.of("podLabels", "nodeSelector", "metrics.serviceMonitor.labels")) {
            JSONSchemaProps map = property(spec, labels);
            checkKeys(
                    map,
                    KubernetesSyntax.labelKeyRule("k"),
                    "spec." + labels + " keys must each be label keys: " + KubernetesSyntax.LABEL_KEY_WORDS);
            JSONSchemaProps value = map.getAdditionalProperties().getSchema();
            value.setMaxLength((long) KubernetesSyntax.LABEL_VALUE_MAX_LENGTH);
            addRule(
                    value,
                    new ValidationRuleBuilder()
                            .withRule("self.matches(r'" + KubernetesSyntax.LABEL_VALUE + "')")
                            .withMessage(
                                    "spec." + labels + " values must each be " + KubernetesSyntax.LABEL_VALUE_WORDS)
                            .withReason("FieldValueInvalid")
                            .build());
        }
        for (String annotations : List.of("podAnnotations", "service.annotations")) {
            checkKeys(
                    property(spec, annotations),
                    KubernetesSyntax.annotationKeyRule("k"),
                    "spec." + annotations + " keys must each be annotation keys, "
                            + KubernetesSyntax.ANNOTATION_KEY_WORDS);
        }
        JSONSchemaProps pullSecrets = property(spec, "imagePullSecrets");
        pullSecrets.setMaxItems((long) KubernetesSyntax.MAX_ENTRIES);
        JSONSchemaProps secretName =
                pullSecrets.getItems().getSchema().getProperties().get("name");
        secretName.setMaxLength((long) KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH);
        addRule(
                secretName,
                new ValidationRuleBuilder()
                        .withRule("self.matches(r'" + KubernetesSyntax.DNS_SUBDOMAIN + "')")
                        .withMessage("spec.imagePullSecrets names must each be " + KubernetesSyntax.SECRET_NAME_WORDS)
                        .withReason("FieldValueInvalid")
                        .build());
        Map<String, JSONSchemaProps> toleration =
                property(spec, "tolerations").getItems().getSchema().getProperties();
        toleration.get("operator").setEnum(texts(KubernetesSyntax.TOLERATION_OPERATORS));
        toleration.get("effect").setEnum(texts(KubernetesSyntax.TOLERATION_EFFECTS));
        // enums rather than patterns: the API server refused a pattern by printing its regex, and refuses a value
        // outside an enum with the values it takes ('Unsupported value: "always": supported values: "Always", ...')
        property(spec, "imagePullPolicy").setEnum(texts(GoProxyCacheSpec.IMAGE_PULL_POLICIES));
        property(spec, "service.type").setEnum(texts(ServiceSettings.TYPES));
    }

    /** @param keyRule a CEL expression on the key {@code k} */
    private static void checkKeys(JSONSchemaProps map, String keyRule, String message) {
        map.setMaxProperties((long) KubernetesSyntax.MAX_ENTRIES);
        addRule(
                map,
                new ValidationRuleBuilder()
                        .withRule("self.all(k, " + keyRule + ")")
                        .withMessage(message)
                        .withReason("FieldValueInvalid")
                        .build());
    }

    /** After the rules the property has already: its annotations' and the conventions' applied before. */
    private static void addRule(JSONSchemaProps property, ValidationRule rule) {
        List<ValidationRule> rules = new ArrayList<>(
                property.getXKubernetesValidations() == null ? List.of() : property.getXKubernetesValidations());
        rules.add(rule);
        property.setXKubernetesValidations(rules);
    }

    private static List<JsonNode> texts(List<String> values) {
        return values.stream().<JsonNode>map(TextNode::valueOf).toList();
    }

    /**
     * spec.private and spec.noSumDB are sets of patterns (the proxy joins them with ','; a repeated one means
     * nothing): as sets, two field managers' server-side applies merge their items instead of conflicting over the
     * whole list. The API server refuses a repeated item in a set.
     */
    private static void patternListsAreSets(JSONSchemaProps spec) {
        for (String list : List.of("private", "noSumDB")) {
            spec.getProperties().get(list).setXKubernetesListType("set");
        }
    }

    private static void pointToKubectlExplain(JSONSchemaProps property, String podPath) {
        if (property == null) {
            return;
        }
        JSONSchemaProps object =
                property.getItems() != null ? property.getItems().getSchema() : property;
        if (object.getProperties() == null) {
            return;
        }
        object.getProperties().forEach((name, field) -> {
            String path = podPath + "." + name;
            if (field.getDescription() == null || field.getDescription().isBlank()) {
                field.setDescription("Applied to the proxy pods; see kubectl explain " + path + ".");
            }
            pointToKubectlExplain(field, path);
        });
    }

    /** The shape of metav1.Condition: a server-side apply or strategic merge keeps one entry per type. */
    private static void conditionShape(JSONSchemaProps conditions) {
        conditions.setXKubernetesListType("map");
        conditions.setXKubernetesListMapKeys(List.of("type"));
        JSONSchemaProps condition = conditions.getItems().getSchema();
        // every field metav1.Condition requires; the operator writes them all on every status update
        condition.setRequired(List.of("lastTransitionTime", "message", "reason", "status", "type"));
        Map<String, JSONSchemaProps> field = condition.getProperties();
        field.get("type").setPattern(CacheCondition.TYPE_PATTERN);
        field.get("type").setMaxLength((long) CacheCondition.TYPE_MAX_LENGTH);
        field.get("status")
                .setEnum(List.<JsonNode>of(
                        TextNode.valueOf(CacheCondition.TRUE),
                        TextNode.valueOf(CacheCondition.FALSE),
                        TextNode.valueOf(CacheCondition.UNKNOWN)));
        field.get("reason").setPattern(CacheCondition.REASON_PATTERN);
        field.get("reason").setMinLength(1L);
        field.get("reason").setMaxLength((long) CacheCondition.REASON_MAX_LENGTH);
        field.get("message").setMaxLength((long) CacheCondition.MESSAGE_MAX_LENGTH);
        field.get("lastTransitionTime").setFormat("date-time");
        field.get("observedGeneration").setFormat("int64");
        field.get("observedGeneration").setMinimum(0.0);
    }

    private static String description(Class<?> type) {
        JsonClassDescription description = type.getAnnotation(JsonClassDescription.class);
        if (description == null) {
            throw new IllegalStateException(type.getName() + " needs a @JsonClassDescription for the CRD");
        }
        return description.value();
    }
}
