package dev.modproxy.operator.dependent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Who holds a field of an object's spec, as its managed fields say: one entry holds a field at a time, whoever wrote
 * it last (an update takes it from the others). Messages name that field manager to say who changed what.
 */
public final class SpecFieldHolders {

    private SpecFieldHolders() {}

    /** The managed-fields entries holding {@code spec.<field>} ({@code f:spec/f:<field>}), in the object's order. */
    public static Stream<ManagedFieldsEntry> of(HasMetadata object, String field) {
        List<ManagedFieldsEntry> entries = object.getMetadata().getManagedFields();
        return entries == null
                ? Stream.empty()
                : entries.stream()
                        .filter(entry -> entry.getFieldsV1() != null
                                && entry.getFieldsV1().getAdditionalProperties().get("f:spec") instanceof Map<?, ?> spec
                                && spec.containsKey("f:" + field));
    }

    /** The entry's field manager as a message names it. */
    public static String manager(ManagedFieldsEntry entry) {
        return entry.getManager() == null ? "(unnamed)" : entry.getManager();
    }
}
