package dev.modproxy.operator.webhook;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Read-only view of the caches and namespaces the webhook chooses from; answers from memory. */
public interface CacheDirectory {

    Optional<CacheTarget> find(CacheRef ref);

    List<CacheTarget> inNamespace(String namespace);

    /**
     * Whether the operator watches GoProxyCaches in {@code namespace} (chart value {@code watchNamespaces}): a cache
     * elsewhere exists for the API server but is never found here.
     */
    boolean watches(String namespace);

    /** Labels and annotations of a namespace; empty when it is unknown. */
    NamespaceInfo namespace(String name);

    record NamespaceInfo(Map<String, String> labels, Map<String, String> annotations) {

        public static final NamespaceInfo UNKNOWN = new NamespaceInfo(Map.of(), Map.of());

        public NamespaceInfo {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        }
    }
}
