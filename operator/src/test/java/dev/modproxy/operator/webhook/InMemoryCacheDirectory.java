package dev.modproxy.operator.webhook;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Caches and namespaces held in maps, for tests of the mutation rules without an API server. */
final class InMemoryCacheDirectory implements CacheDirectory {

    private final List<CacheTarget> caches = new ArrayList<>();
    private final Map<String, NamespaceInfo> namespaces = new HashMap<>();
    /** Empty: every namespace, as when the operator's watchNamespaces is unset. */
    private Set<String> watched = Set.of();

    InMemoryCacheDirectory add(CacheTarget cache) {
        caches.add(cache);
        return this;
    }

    InMemoryCacheDirectory namespace(String name, Map<String, String> labels, Map<String, String> annotations) {
        namespaces.put(name, new NamespaceInfo(labels, annotations));
        return this;
    }

    /** As the operator with watchNamespaces set: caches elsewhere are not seen. */
    InMemoryCacheDirectory watching(String... namespaces) {
        watched = Set.of(namespaces);
        return this;
    }

    @Override
    public Optional<CacheTarget> find(CacheRef ref) {
        return caches.stream()
                .filter(c -> c.ref().equals(ref) && watches(ref.namespace()))
                .findFirst();
    }

    @Override
    public List<CacheTarget> inNamespace(String namespace) {
        return caches.stream()
                .filter(c -> c.ref().namespace().equals(namespace) && watches(namespace))
                .toList();
    }

    @Override
    public boolean watches(String namespace) {
        return watched.isEmpty() || watched.contains(namespace);
    }

    @Override
    public NamespaceInfo namespace(String name) {
        return namespaces.getOrDefault(name, NamespaceInfo.UNKNOWN);
    }
}
