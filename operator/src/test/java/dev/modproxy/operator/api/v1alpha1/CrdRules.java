package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code x-kubernetes-validations} rules of a CRD, evaluated as the API server evaluates them:
 * the mock API server the operator tests run against ignores them, and a rule that does not
 * type-check would make a real cluster refuse the whole CRD.
 *
 * <p>Like the API server: {@code self} is typed from the schema, schema defaults are applied
 * before validation, a rule runs only where its value is present, and a
 * transition rule (one that reads {@code oldSelf}) only on update where the old value is present;
 * {@link #onDefaults()} checks the schema's defaults as the API server does when it is given the CRD.
 * Of Kubernetes' CEL libraries only the quantity functions the CRD uses are provided. Unlike the
 * API server, objects are typed as maps, so a field of the wrong type in a rule is caught when the
 * rule runs rather than when it compiles.
 */
final class CrdRules {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final OpaqueType QUANTITY = OpaqueType.create("kubernetes.Quantity");

    /** One rule, where it sits in the schema (".spec.storage"), and its message. */
    record Rule(String path, String expression, String message, Cel cel, CelAbstractSyntaxTree ast) {

        boolean isTransition() {
            return expression.contains("oldSelf");
        }
    }

    private final JsonNode schema;
    // by path and expression, in schema order
    private final Map<String, Rule> rules = new LinkedHashMap<>();

    private CrdRules(JsonNode schema) {
        this.schema = schema;
    }

    /** Reads the CRD and compiles every rule; fails on the first rule that does not type-check. */
    static CrdRules of(Path crd) throws IOException {
        JsonNode root = YAML.readTree(crd.toFile());
        CrdRules rules = new CrdRules(root.at("/spec/versions/0/schema/openAPIV3Schema"));
        rules.compile(rules.schema, "");
        return rules;
    }

    static JsonNode readYaml(String yaml) throws IOException {
        return YAML.readTree(yaml);
    }

    static JsonNode readYaml(Path file) throws IOException {
        return YAML.readTree(file.toFile());
    }

    List<Rule> rules() {
        return List.copyOf(rules.values());
    }

    /** The messages of the rules a new object breaks. */
    List<String> onCreate(JsonNode object) {
        List<String> broken = new ArrayList<>();
        check(schema, withDefaults(schema, toValue(object)), null, "", broken);
        return broken;
    }

    /** The messages of the rules an update from {@code old} to {@code updated} breaks. */
    List<String> onUpdate(JsonNode old, JsonNode updated) {
        List<String> broken = new ArrayList<>();
        check(schema, withDefaults(schema, toValue(updated)), withDefaults(schema, toValue(old)), "", broken);
        return broken;
    }

    /**
     * The messages of the rules a schema default breaks, checked as the API server checks them before it takes the
     * CRD: each default as it is written, without the defaults of the fields inside it, as both the new and the old
     * value, then as a new value alone. A rule that fails or errs here makes the API server refuse the whole CRD.
     */
    List<String> onDefaults() {
        List<String> broken = new ArrayList<>();
        checkDefaults(schema, "", broken);
        return broken;
    }

    private void checkDefaults(JsonNode node, String path, List<String> broken) {
        if (node.has("default")) {
            Object value = toValue(node.get("default"));
            check(node, value, value, path, broken);
            check(node, value, null, path, broken);
        }
        node.path("properties")
                .fields()
                .forEachRemaining(p -> checkDefaults(p.getValue(), path + "." + p.getKey(), broken));
        if (node.has("items")) {
            checkDefaults(node.get("items"), path + "[]", broken);
        }
    }

    private void compile(JsonNode node, String path) {
        for (JsonNode rule : node.path("x-kubernetes-validations")) {
            String expression = rule.path("rule").asText();
            Cel cel = environment(celType(node));
            try {
                CelAbstractSyntaxTree ast = cel.compile(expression).getAst();
                rules.put(
                        path + "\u0000" + expression,
                        new Rule(path, expression, rule.path("message").asText(expression), cel, ast));
            } catch (CelValidationException e) {
                throw new IllegalStateException(
                        "rule at " + path + " does not compile: " + expression + "\n" + e.getMessage(), e);
            }
        }
        node.path("properties").fields().forEachRemaining(p -> compile(p.getValue(), path + "." + p.getKey()));
        if (node.has("items")) {
            compile(node.get("items"), path + "[]");
        }
        if (node.path("additionalProperties").isObject()) {
            compile(node.get("additionalProperties"), path + "{}");
        }
    }

    private void check(JsonNode node, Object value, Object old, String path, List<String> broken) {
        for (JsonNode rule : node.path("x-kubernetes-validations")) {
            Rule compiled = rules.get(path + "\u0000" + rule.path("rule").asText());
            if (compiled.isTransition() && old == null) {
                continue;
            }
            Map<String, Object> variables = new LinkedHashMap<>();
            variables.put("self", value);
            if (old != null) {
                variables.put("oldSelf", old);
            }
            try {
                Object result = compiled.cel().createProgram(compiled.ast()).eval(variables);
                if (!Boolean.TRUE.equals(result)) {
                    broken.add(compiled.message());
                }
            } catch (CelEvaluationException e) {
                broken.add(path + ": rule " + compiled.expression() + " failed: " + e.getMessage());
            }
        }
        if (value instanceof Map<?, ?> object
                && node.path("additionalProperties").isObject()) {
            // a map's values have no old counterpart here; no rule on one compares with oldSelf
            for (Object entry : object.values()) {
                check(node.get("additionalProperties"), entry, null, path + "{}", broken);
            }
        } else if (value instanceof Map<?, ?> object) {
            Iterator<Map.Entry<String, JsonNode>> properties =
                    node.path("properties").fields();
            while (properties.hasNext()) {
                Map.Entry<String, JsonNode> property = properties.next();
                Object child = object.get(property.getKey());
                if (child != null) {
                    Object oldChild = old instanceof Map<?, ?> oldObject ? oldObject.get(property.getKey()) : null;
                    check(property.getValue(), child, oldChild, path + "." + property.getKey(), broken);
                }
            }
        } else if (value instanceof List<?> list && node.has("items")) {
            // list items have no old counterpart unless the list is a keyed map list; this CRD has none
            for (Object item : list) {
                check(node.get("items"), item, null, path + "[]", broken);
            }
        }
    }

    private static Cel environment(CelType self) {
        return CelFactory.standardCelBuilder()
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                // Kubernetes' CEL has the strings extension (lowerAscii and the rest)
                .addCompilerLibraries(CelExtensions.strings())
                .addRuntimeLibraries(CelExtensions.strings())
                .addVar("self", self)
                .addVar("oldSelf", self)
                .addFunctionDeclarations(
                        CelFunctionDecl.newFunctionDeclaration(
                                "isQuantity",
                                CelOverloadDecl.newGlobalOverload(
                                        "is_quantity_string", SimpleType.BOOL, SimpleType.STRING)),
                        CelFunctionDecl.newFunctionDeclaration(
                                "quantity",
                                CelOverloadDecl.newGlobalOverload("quantity_string", QUANTITY, SimpleType.STRING)),
                        CelFunctionDecl.newFunctionDeclaration(
                                "compareTo",
                                CelOverloadDecl.newMemberOverload(
                                        "quantity_compareTo_quantity", SimpleType.INT, QUANTITY, QUANTITY)))
                .addFunctionBindings(
                        CelFunctionBinding.from("is_quantity_string", String.class, CrdRules::isQuantity),
                        CelFunctionBinding.from("quantity_string", String.class, Quantity::new),
                        CelFunctionBinding.from("quantity_compareTo_quantity", Quantity.class, Quantity.class, (a, b) ->
                                (long) a.getNumericalAmount().compareTo(b.getNumericalAmount())))
                .build();
    }

    private static boolean isQuantity(String value) {
        try {
            new Quantity(value).getNumericalAmount();
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static CelType celType(JsonNode node) {
        return switch (node.path("type").asText()) {
            case "string" -> SimpleType.STRING;
            case "integer" -> SimpleType.INT;
            case "number" -> SimpleType.DOUBLE;
            case "boolean" -> SimpleType.BOOL;
            case "array" -> ListType.create(celType(node.path("items")));
            case "object" -> MapType.create(SimpleType.STRING, SimpleType.DYN);
            // int-or-string, preserve-unknown-fields
            default -> SimpleType.DYN;
        };
    }

    private static Object toValue(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.fields().forEachRemaining(f -> map.put(f.getKey(), toValue(f.getValue())));
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(item -> list.add(toValue(item)));
            return list;
        }
        if (node.isIntegralNumber()) {
            return node.asLong();
        }
        if (node.isNumber()) {
            return node.asDouble();
        }
        if (node.isBoolean()) {
            return node.asBoolean();
        }
        return node.isNull() ? null : node.asText();
    }

    /** Schema defaults filled in where a present object lacks the field, as the API server does. */
    @SuppressWarnings("unchecked")
    private static Object withDefaults(JsonNode node, Object value) {
        if (value instanceof Map<?, ?> object) {
            Map<String, Object> filled = new LinkedHashMap<>((Map<String, Object>) object);
            node.path("properties").fields().forEachRemaining(p -> {
                if (!filled.containsKey(p.getKey()) && p.getValue().has("default")) {
                    filled.put(p.getKey(), toValue(p.getValue().get("default")));
                }
                if (filled.containsKey(p.getKey())) {
                    filled.put(p.getKey(), withDefaults(p.getValue(), filled.get(p.getKey())));
                }
            });
            return filled;
        }
        if (value instanceof List<?> list && node.has("items")) {
            return list.stream()
                    .map(item -> withDefaults(node.get("items"), item))
                    .toList();
        }
        return value;
    }
}
