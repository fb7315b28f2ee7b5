package dev.modproxy.helm;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which webhook entries the API server would call for a pod CREATE, judged only by the entries'
 * namespaceSelector and objectSelector (the label selector rules of apimachinery).
 */
final class WebhookSelection {

    private WebhookSelection() {}

    /** Names of the entries called for a pod with these labels in a namespace with these labels. */
    static List<String> called(
            MutatingWebhookConfiguration configuration,
            String namespace,
            Map<String, String> namespaceLabels,
            Map<String, String> podLabels) {
        // the API server sets this label on every namespace (Kubernetes 1.22+)
        Map<String, String> nsLabels = new HashMap<>(namespaceLabels);
        nsLabels.put("kubernetes.io/metadata.name", namespace);
        return configuration.getWebhooks().stream()
                .filter(w -> matches(w.getNamespaceSelector(), nsLabels) && matches(w.getObjectSelector(), podLabels))
                .map(MutatingWebhook::getName)
                .toList();
    }

    /** A missing selector matches everything, as in the API server. */
    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return true;
        }
        if (selector.getMatchLabels() != null
                && !selector.getMatchLabels().entrySet().stream()
                        .allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
            return false;
        }
        return selector.getMatchExpressions() == null
                || selector.getMatchExpressions().stream().allMatch(r -> matches(r, labels));
    }

    private static boolean matches(LabelSelectorRequirement requirement, Map<String, String> labels) {
        String value = labels.get(requirement.getKey());
        return switch (requirement.getOperator()) {
            case "In" -> value != null && requirement.getValues().contains(value);
            case "NotIn" -> value == null || !requirement.getValues().contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            default -> throw new AssertionError("not a label selector operator: " + requirement.getOperator());
        };
    }
}
