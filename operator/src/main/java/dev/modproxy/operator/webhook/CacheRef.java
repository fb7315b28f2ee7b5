package dev.modproxy.operator.webhook;

import java.util.Optional;

/** A GoProxyCache named by a pod or namespace: "name" (in the pod's namespace) or "namespace/name". */
public record CacheRef(String namespace, String name) {

    public static Optional<CacheRef> parse(String value, String defaultNamespace) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String trimmed = value.trim();
        int slash = trimmed.indexOf('/');
        if (slash < 0) {
            return Optional.of(new CacheRef(defaultNamespace, trimmed));
        }
        String namespace = trimmed.substring(0, slash);
        String name = trimmed.substring(slash + 1);
        if (namespace.isEmpty() || name.isEmpty() || name.contains("/")) {
            return Optional.empty();
        }
        return Optional.of(new CacheRef(namespace, name));
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
