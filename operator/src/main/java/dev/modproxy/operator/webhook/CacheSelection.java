package dev.modproxy.operator.webhook;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides whether a pod asked for a cache, and which one.
 *
 * <p>Opt-in: pod label {@code modproxy.dev/inject} ("true" or a cache name), or namespace label
 * {@code modproxy.dev/inject=enabled}; the pod label "false" always opts out, an empty one is a mistake that is
 * warned of. Only caches in namespaces the operator watches can be chosen. The cache, first
 * match wins: a cache name in the pod label; the {@code modproxy.dev/cache} annotation of the pod,
 * then of its namespace ("name" or "namespace/name"); the GoProxyCache of the pod's namespace
 * annotated {@code modproxy.dev/default: "true"}; the only GoProxyCache of the pod's namespace.
 *
 * <p>An outcome that leaves the pod unchanged says whether a fresher view of the caches and namespaces could change
 * it ({@code lookAgain}): a namespace label or annotation, or a GoProxyCache, the directory has not seen yet. Not when
 * the pod's own labels decide it, nor for a namespace the operator does not watch.
 */
public final class CacheSelection {

    public sealed interface Outcome {}

    /** The pod did not ask for injection (or opted out). */
    public record NotRequested(String reason, boolean lookAgain) implements Outcome {

        /** Decided by the pod itself: no fresher view can change it. */
        static NotRequested settled(String reason) {
            return new NotRequested(reason, false);
        }

        /** Decided by what the directory has seen of the namespace, which may lag behind the API server. */
        static NotRequested perhapsStale(String reason) {
            return new NotRequested(reason, true);
        }
    }

    public record Chosen(CacheTarget cache) implements Outcome {}

    /** The pod asked, but no cache matches: the pod stays unchanged and the user is told why. */
    public record Unavailable(String warning, boolean lookAgain) implements Outcome {

        /** A mistake in what the pod or namespace says, or a namespace not watched: no fresher view can change it. */
        static Unavailable settled(String warning) {
            return new Unavailable(warning, false);
        }

        /** No cache found among those the directory has seen, which may lag behind the API server. */
        static Unavailable perhapsStale(String warning) {
            return new Unavailable(warning, true);
        }
    }

    private final CacheDirectory directory;

    public CacheSelection(CacheDirectory directory) {
        this.directory = directory;
    }

    public Outcome select(String namespace, Map<String, String> podLabels, Map<String, String> podAnnotations) {
        String written = podLabels.get(InjectionLabels.INJECT);
        String label = trimmed(written);
        if ("false".equalsIgnoreCase(label)) {
            return NotRequested.settled("pod label " + InjectionLabels.INJECT + "=false");
        }
        if (written != null && label == null) {
            // what a template's empty value gives: the API server sends it (the label exists), but it names nothing
            return Unavailable.settled("pod label " + InjectionLabels.INJECT
                    + " is empty: write \"true\", a GoProxyCache name or \"false\"; pod left unchanged");
        }
        CacheDirectory.NamespaceInfo namespaceInfo = directory.namespace(namespace);
        boolean namespaceEnabled = InjectionLabels.NAMESPACE_ENABLED.equals(
                trimmed(namespaceInfo.labels().get(InjectionLabels.INJECT)));
        if (label == null && !namespaceEnabled) {
            // the API server sends an unlabelled pod only when it sees the namespace label: the directory may lag
            return NotRequested.perhapsStale("neither the pod nor namespace " + namespace + " opted in");
        }
        if (label != null && !"true".equalsIgnoreCase(label)) {
            return named(label, namespace, "pod label " + InjectionLabels.INJECT);
        }
        String podChoice = trimmed(podAnnotations.get(InjectionLabels.CACHE));
        if (podChoice != null) {
            return named(podChoice, namespace, "pod annotation " + InjectionLabels.CACHE);
        }
        String namespaceChoice = trimmed(namespaceInfo.annotations().get(InjectionLabels.CACHE));
        if (namespaceChoice != null) {
            return named(namespaceChoice, namespace, "namespace annotation " + InjectionLabels.CACHE);
        }
        return namespaceDefault(namespace);
    }

    private Outcome named(String value, String namespace, String source) {
        Optional<CacheRef> ref = CacheRef.parse(value, namespace);
        if (ref.isEmpty()) {
            return Unavailable.settled(source + " value \"" + value + "\" is not a cache name or namespace/name");
        }
        if (!directory.watches(ref.get().namespace())) {
            return unwatched(ref.get().namespace());
        }
        return directory
                .find(ref.get())
                .<Outcome>map(Chosen::new)
                .orElseGet(() -> Unavailable.perhapsStale(
                        "GoProxyCache " + ref.get() + " (from " + source + ") does not exist; pod left unchanged"));
    }

    private Outcome namespaceDefault(String namespace) {
        if (!directory.watches(namespace)) {
            return unwatched(namespace);
        }
        List<CacheTarget> caches = directory.inNamespace(namespace);
        List<CacheTarget> marked =
                caches.stream().filter(CacheTarget::markedDefault).toList();
        if (marked.size() == 1) {
            return new Chosen(marked.get(0));
        }
        if (marked.size() > 1) {
            return Unavailable.perhapsStale(marked.size() + " GoProxyCaches in namespace " + namespace
                    + " are annotated " + InjectionLabels.DEFAULT_CACHE + "=true; pod left unchanged");
        }
        if (caches.size() == 1) {
            return new Chosen(caches.get(0));
        }
        if (caches.isEmpty()) {
            return Unavailable.perhapsStale("no GoProxyCache in namespace " + namespace + "; name one with annotation "
                    + InjectionLabels.CACHE + "; pod left unchanged");
        }
        return Unavailable.perhapsStale(caches.size() + " GoProxyCaches in namespace " + namespace
                + " and none annotated " + InjectionLabels.DEFAULT_CACHE + "=true; pod left unchanged");
    }

    /** The operator cannot see the caches there, so "none there" or "does not exist" would be untrue. */
    private static Unavailable unwatched(String namespace) {
        return Unavailable.settled("the operator does not watch namespace " + namespace
                + ": add it to watchNamespaces; pod left unchanged");
    }

    private static String trimmed(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
