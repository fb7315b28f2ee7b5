package dev.modproxy.operator.webhook;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Text for the places of a container the kubelet expands when it starts the container: {@code env[].value},
 * {@code command} and {@code args} (Kubernetes' dependent environment variables). There {@code $(NAME)} becomes
 * the value of the container's variable {@code NAME} (a Secret's, say) and {@code $$} becomes {@code $}. A value
 * the webhook copies from a GoProxyCache (whose author may be in another namespace) is written with every
 * {@code $} doubled, so the container gets it as written and never a variable it names; the webhook's own
 * references ({@link #to}) are the only ones left.
 *
 * <p>Not for the places the kubelet leaves as they are (annotations, warnings, an {@code envFrom}'s ConfigMap):
 * there a doubled {@code $} would stay doubled.
 */
final class VariableReferences {

    private VariableReferences() {}

    /** {@code text} as the kubelet will hand it to the container, with no reference expanded. */
    static String literal(String text) {
        return text.replace("$", "$$");
    }

    /** Every value {@link #literal}; the keys (variable names) as they are. */
    static Map<String, String> literal(Map<String, String> values) {
        Map<String, String> escaped = new LinkedHashMap<>();
        values.forEach((name, value) -> escaped.put(name, literal(value)));
        return escaped;
    }

    /** A reference the webhook writes on purpose: the kubelet puts the container's value of {@code name} there. */
    static String to(String name) {
        return "$(" + name + ")";
    }
}
