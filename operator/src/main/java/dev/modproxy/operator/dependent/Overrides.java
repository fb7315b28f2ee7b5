package dev.modproxy.operator.dependent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A user's partial Kubernetes object laid over the operator's defaults: each field the user sets wins, nested
 * objects (capabilities, seccompProfile) merge field by field, lists and plain values are replaced whole, and
 * every default the user leaves out stays.
 */
final class Overrides {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Overrides() {}

    static <T> T merge(T defaults, T override, Class<T> type) {
        if (override == null) {
            return defaults;
        }
        ObjectNode merged = JSON.valueToTree(defaults);
        merge(merged, JSON.valueToTree(override));
        return JSON.convertValue(merged, type);
    }

    private static void merge(ObjectNode target, JsonNode override) {
        override.fields().forEachRemaining(field -> {
            JsonNode value = field.getValue();
            if (value == null || value.isNull()) {
                return;
            }
            JsonNode existing = target.get(field.getKey());
            if (existing instanceof ObjectNode object && value.isObject()) {
                merge(object, value);
            } else {
                target.set(field.getKey(), value);
            }
        });
    }
}
