package dev.modproxy.operator.webhook;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the kubelet makes of a container's {@code env} values, {@code command} and {@code args} when it starts the
 * container, written from the Kubernetes API reference (EnvVar.value, Container.command): {@code $(NAME)} becomes
 * the value of the variable {@code NAME} and stays as written when there is none; {@code $$} becomes {@code $};
 * any other {@code $} is kept. An env value sees the variables listed before it; command and args see them all.
 */
public final class KubeletExpansion {

    private KubeletExpansion() {}

    public static String expand(String input, Map<String, String> variables) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < input.length()) {
            char c = input.charAt(i);
            if (c != '$' || i + 1 == input.length()) {
                out.append(c);
                i++;
                continue;
            }
            char next = input.charAt(i + 1);
            int close = next == '(' ? input.indexOf(')', i + 2) : -1;
            if (next == '$') {
                out.append('$');
                i += 2;
            } else if (close >= 0) {
                String name = input.substring(i + 2, close);
                out.append(variables.getOrDefault(name, "$(" + name + ")"));
                i = close + 1;
            } else {
                out.append(c).append(next);
                i += 2;
            }
        }
        return out.toString();
    }

    /**
     * The container's environment as its process sees it; an entry with a {@code valueFrom} takes its value from
     * {@code sources} (by variable name), as if read from the Secret or ConfigMap.
     */
    static Map<String, String> environment(JsonObject container, Map<String, String> sources) {
        Map<String, String> env = new LinkedHashMap<>();
        if (!container.containsKey("env")) {
            return env;
        }
        for (JsonObject var : container.getJsonArray("env").getValuesAs(JsonObject.class)) {
            String name = var.getString("name");
            String value = var.containsKey("value") ? expand(var.getString("value"), env) : sources.get(name);
            env.put(name, value);
        }
        return env;
    }

    /** The container's {@code command} then {@code args}, each word expanded with its whole environment. */
    static List<String> commandLine(JsonObject container, Map<String, String> sources) {
        Map<String, String> env = environment(container, sources);
        return Stream.of("command", "args")
                .filter(container::containsKey)
                .flatMap(list -> container.getJsonArray(list).getValuesAs(JsonString.class).stream())
                .map(word -> expand(word.getString(), env))
                .toList();
    }
}
