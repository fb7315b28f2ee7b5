package dev.modproxy.operator.webhook;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Caches and namespaces held in maps, for tests of the mutation rules without an API server. */
final class InMemoryCacheDirectory implements CacheDirectory {

    private final List<CacheTarget> caches = new ArrayList<>();
    private final Map<String, NamespaceInfo> namespaces = new HashMap<>();

    InMemoryCacheDirectory add(CacheTarget cache) {
        caches.add(cache);
        return this;
    }

    InMemoryCacheDirectory namespace(String name, Map<String, String> labels, Map<String, String> annotations) {
        namespaces.put(name, new NamespaceInfo(labels, annotations));
        return this;
    }

    @Override
    public Optional<CacheTarget> find(CacheRef ref) {
        return caches.stream().filter(c -> c.ref().equals(ref)).findFirst();
    }

    @Override
    public List<CacheTarget> inNamespace(String namespace) {
        return caches.stream()
                .filter(c -> c.ref().namespace().equals(namespace))
                .toList();
    }

    @Override
    public NamespaceInfo namespace(String name) {
        return namespaces.getOrDefault(name, NamespaceInfo.UNKNOWN);
    }
}
