package dev.modproxy.operator.dependent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What other field managers hold in the proxy Deployment's pod template, read from its managed fields. Server-side
 * apply puts back only the fields the operator applies: a field another writer added (a container's {@code env} by
 * {@code kubectl set env}, a sidecar, {@code hostNetwork}, {@code privileged}) stays, and one such field can make
 * every later apply invalid ({@code privileged} beside the operator's {@code allowPrivilegeEscalation: false}). Those
 * fields are {@link #removed}; fields of the operator's that another writer set to other values are {@link #changed}
 * (the forced apply takes them back by itself). Annotations only others set on the pod template are left: {@code
 * kubectl rollout restart} restarts the pods through one, and tools that roll pods on a change do the same. The
 * exception is the annotations that loosen a container's confinement (the legacy AppArmor and seccomp ones, which
 * the kubelet still honours): those are taken back like any other field.
 */
public record PodTemplateDrift(List<Field> removed, List<Field> changed, JsonNode desiredPodSpec) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEMPLATE_ANNOTATIONS = "spec.template.metadata.annotations";
    /** Pod annotations that set a container's AppArmor or seccomp profile (e.g. to {@code unconfined}). */
    private static final List<String> CONFINEMENT_ANNOTATIONS =
            List.of("container.apparmor.security.beta.kubernetes.io/", "seccomp.security.alpha.kubernetes.io/");
    /** Fields named in a status message; the rest are counted. */
    private static final int NAMED_FIELDS = 8;

    /**
     * One field another manager holds, by its path in the object ({@code spec.template.spec.containers[name=proxy]})
     * and its JSON pointer in the Deployment read ({@code /spec/template/spec/containers/0}).
     */
    public record Field(String manager, String path, String pointer, JsonNode wanted) {}

    public static final PodTemplateDrift NONE = new PodTemplateDrift(List.of(), List.of(), null);
    private static final String POD_SPEC = "/spec/template/spec";

    public boolean isEmpty() {
        return removed.isEmpty() && changed.isEmpty();
    }

    /**
     * The fields of {@code actual}'s pod template held by a manager other than {@code fieldManager}'s apply, that
     * {@code desired} has not or has with another value.
     */
    public static PodTemplateDrift of(Deployment actual, Deployment desired, String fieldManager) {
        List<ManagedFieldsEntry> entries = actual.getMetadata().getManagedFields();
        if (entries == null || entries.isEmpty()) {
            return NONE;
        }
        JsonNode actualJson = JSON.valueToTree(actual);
        JsonNode desiredJson = JSON.valueToTree(desired);
        List<Field> removed = new ArrayList<>();
        List<Field> changed = new ArrayList<>();
        for (ManagedFieldsEntry entry : entries) {
            // the operator's apply, and its own take-back patch (an Update under the same name), which comes to own
            // what the API server defaults in place of a removed field: reading that as another's would loop
            boolean ours = fieldManager.equals(entry.getManager());
            boolean ofSubresource =
                    entry.getSubresource() != null && !entry.getSubresource().isEmpty();
            if (ours || ofSubresource || entry.getFieldsV1() == null) {
                continue;
            }
            JsonNode template =
                    JSON.valueToTree(entry.getFieldsV1()).path("f:spec").path("f:template");
            String manager = entry.getManager() == null ? "(unnamed)" : entry.getManager();
            new Walk(manager, removed, changed)
                    .fields(
                            template,
                            desiredJson.path("spec").path("template"),
                            actualJson.path("spec").path("template"),
                            "/spec/template",
                            "spec.template");
        }
        return new PodTemplateDrift(
                List.copyOf(removed),
                List.copyOf(changed),
                desiredJson.path("spec").path("template").path("spec").deepCopy());
    }

    /**
     * A JSON patch (RFC 6902) that removes the {@link #removed} fields and sets the {@link #changed} ones to the
     * operator's values, in one write, so that no pod template in between is rolled out; it holds the resourceVersion
     * read, so the API server refuses it (409) if the Deployment changed since. When anything in the pod spec is to
     * go, the whole pod spec is replaced by the operator's: removing only the other manager's field fails where it
     * had swapped one of the operator's for another of a kind that allows one (a probe's {@code httpGet} for {@code
     * exec}, the cache volume's claim for a {@code hostPath}), leaving a probe with no handler or a defaulted volume.
     */
    public String jsonPatch(String resourceVersion) {
        ArrayNode ops = JSON.createArrayNode();
        ops.addObject()
                .put("op", "replace")
                .put("path", "/metadata/resourceVersion")
                .put("value", resourceVersion);
        boolean podSpecReplaced =
                removed.stream().anyMatch(field -> field.pointer().startsWith(POD_SPEC + "/"));
        if (podSpecReplaced) {
            ops.addObject().put("op", "replace").put("path", POD_SPEC).set("value", desiredPodSpec);
        }
        for (Field field : changed) {
            if (!(podSpecReplaced && field.pointer().startsWith(POD_SPEC + "/"))) {
                ops.addObject()
                        .put("op", "replace")
                        .put("path", field.pointer())
                        .set("value", field.wanted());
            }
        }
        // what is left is in the template's labels and annotations: map keys, no list indexes to keep in order
        removed.stream()
                .map(Field::pointer)
                .filter(pointer -> !(podSpecReplaced && pointer.startsWith(POD_SPEC + "/")))
                .distinct()
                .forEach(pointer -> ops.addObject().put("op", "remove").put("path", pointer));
        try {
            return JSON.writeValueAsString(ops);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Each field manager with the fields taken back from it, for the status: {@code kubectl-set: spec.template...}. */
    public String describe() {
        Map<String, List<String>> byManager = new LinkedHashMap<>();
        for (Field field : fields()) {
            byManager.computeIfAbsent(field.manager(), m -> new ArrayList<>()).add(field.path());
        }
        return byManager.entrySet().stream()
                .map(e -> "field manager " + e.getKey() + ": " + named(e.getValue()))
                .collect(Collectors.joining("; "));
    }

    /** Removed fields first: those are the ones server-side apply alone would have left. */
    public List<Field> fields() {
        List<Field> all = new ArrayList<>(removed);
        all.addAll(changed);
        return all;
    }

    private static String named(List<String> paths) {
        String named = String.join(", ", paths.subList(0, Math.min(paths.size(), NAMED_FIELDS)));
        return paths.size() > NAMED_FIELDS ? named + " and " + (paths.size() - NAMED_FIELDS) + " more" : named;
    }

    /** Follows one manager's field set ({@code f:name}, {@code k:{keys}}, {@code v:value}) through both objects. */
    private record Walk(String manager, List<Field> removed, List<Field> changed) {

        void fields(JsonNode owned, JsonNode desired, JsonNode actual, String pointer, String path) {
            Iterator<Map.Entry<String, JsonNode>> children = owned.fields();
            while (children.hasNext()) {
                Map.Entry<String, JsonNode> child = children.next();
                if (child.getKey().equals(".")) {
                    continue; // the object itself, whose fields are walked here
                }
                Optional<Step> inActual = Step.resolve(child.getKey(), actual);
                if (inActual.isEmpty()) {
                    continue; // set once, gone since
                }
                Step found = inActual.get();
                String childPointer = pointer + "/" + found.segment();
                String childPath = path + found.name();
                Optional<Step> inDesired = Step.resolve(child.getKey(), desired);
                if (inDesired.isEmpty()) {
                    if (!path.equals(TEMPLATE_ANNOTATIONS) || loosensConfinement(child.getKey())) {
                        removed.add(new Field(manager, childPath, childPointer, null));
                    }
                } else if (hasFields(child.getValue())
                        && (found.node().isObject() || found.node().isArray())) {
                    fields(child.getValue(), inDesired.get().node(), found.node(), childPointer, childPath);
                } else if (!inDesired.get().node().equals(found.node())) {
                    changed.add(new Field(
                            manager, childPath, childPointer, inDesired.get().node()));
                }
            }
        }

        private static boolean loosensConfinement(String annotationKey) {
            String name = annotationKey.substring(2); // f:<annotation>
            return CONFINEMENT_ANNOTATIONS.stream().anyMatch(name::startsWith);
        }

        private static boolean hasFields(JsonNode owned) {
            Iterator<String> names = owned.fieldNames();
            while (names.hasNext()) {
                if (!names.next().equals(".")) {
                    return true;
                }
            }
            return false;
        }
    }

    /** One step of a managed-fields path, found in an object: its node, JSON pointer segment and readable name. */
    private record Step(JsonNode node, String segment, String name) {

        static Optional<Step> resolve(String key, JsonNode parent) {
            String kind = key.substring(0, Math.min(2, key.length()));
            String rest = key.length() > 2 ? key.substring(2) : "";
            switch (kind) {
                case "f:" -> {
                    JsonNode node = parent.get(rest);
                    return node == null || node.isNull() || !parent.isObject()
                            ? Optional.empty()
                            : Optional.of(new Step(node, escape(rest), "." + rest));
                }
                case "k:" -> {
                    ObjectNode keys = (ObjectNode) read(rest);
                    return item(parent, item -> matchesKeys(item, keys), describeKeys(keys));
                }
                case "v:" -> {
                    JsonNode value = read(rest);
                    return item(parent, value::equals, "[" + value.asText() + "]");
                }
                default -> {
                    return Optional.empty(); // i: (list index) is not used for the lists of a pod template
                }
            }
        }

        private static Optional<Step> item(JsonNode list, java.util.function.Predicate<JsonNode> wanted, String name) {
            if (!list.isArray()) {
                return Optional.empty();
            }
            for (int i = 0; i < list.size(); i++) {
                if (wanted.test(list.get(i))) {
                    return Optional.of(new Step(list.get(i), Integer.toString(i), name));
                }
            }
            return Optional.empty();
        }

        /** An item matches when each key's value is the item's: JSON numbers compared as numbers. */
        private static boolean matchesKeys(JsonNode item, ObjectNode keys) {
            Iterator<Map.Entry<String, JsonNode>> entries = keys.fields();
            while (entries.hasNext()) {
                Map.Entry<String, JsonNode> key = entries.next();
                JsonNode value = item.get(key.getKey());
                boolean same = value != null
                        && (value.isNumber() && key.getValue().isNumber()
                                ? value.decimalValue().compareTo(key.getValue().decimalValue()) == 0
                                : value.equals(key.getValue()));
                if (!same) {
                    return false;
                }
            }
            return true;
        }

        private static String describeKeys(ObjectNode keys) {
            List<String> parts = new ArrayList<>();
            keys.fields()
                    .forEachRemaining(
                            k -> parts.add(k.getKey() + "=" + k.getValue().asText()));
            parts.sort(Comparator.naturalOrder());
            return "[" + String.join(",", parts) + "]";
        }

        private static JsonNode read(String json) {
            try {
                return JSON.readTree(json);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static String escape(String name) {
            return name.replace("~", "~0").replace("/", "~1");
        }
    }
}
