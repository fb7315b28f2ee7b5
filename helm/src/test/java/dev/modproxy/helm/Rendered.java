package dev.modproxy.helm;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.stream.Collectors;

/** The objects one `helm template` produced, looked up by type and name. */
record Rendered(List<HasMetadata> objects) {

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type) {
        List<T> found = all(type);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + type.getSimpleName() + ", found " + names(found));
        }
        return found.get(0);
    }

    <T extends HasMetadata> T named(Class<T> type, String name) {
        return all(type).stream()
                .filter(o -> name.equals(o.getMetadata().getName()))
                .findFirst()
                .orElseThrow(() ->
                        new AssertionError("no " + type.getSimpleName() + " " + name + " in " + names(all(type))));
    }

    List<HasMetadata> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.getKind())).toList();
    }

    private static String names(List<? extends HasMetadata> objects) {
        return objects.stream()
                .map(o -> o.getKind() + "/" + o.getMetadata().getName())
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
