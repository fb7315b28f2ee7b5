package dev.modproxy.operator.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** An RFC 6902 patch made only of "add" operations. */
public final class JsonPatch {

    private final List<ObjectNode> operations = new ArrayList<>();

    public JsonPatch add(String path, JsonNode value) {
        ObjectNode op = JsonNodeFactory.instance.objectNode();
        op.put("op", "add");
        op.put("path", path);
        op.set("value", value);
        operations.add(op);
        return this;
    }

    public boolean isEmpty() {
        return operations.isEmpty();
    }

    public ArrayNode toJson() {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        operations.forEach(array::add);
        return array;
    }

    /** One RFC 6901 reference token: "~" and "/" must be escaped, in that order. */
    public static String token(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }
}
