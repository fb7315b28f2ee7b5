package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Namespace;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The Namespace createNamespace renders (the plain manifests') enforces the Pod Security level the operator's pods
 * meet, restricted, unless the platform asks for another or none.
 */
class NamespacePodSecurityTest {

    static final List<String> MODES = List.of("enforce", "audit", "warn");

    static Map<String, String> podSecurityLabels(Map<String, Object> values) {
        return Chart.render(values).one(Namespace.class).getMetadata().getLabels().entrySet().stream()
                .filter(e -> e.getKey().startsWith("pod-security.kubernetes.io/"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    static Map<String, String> level(String level) {
        return MODES.stream().collect(Collectors.toMap(mode -> "pod-security.kubernetes.io/" + mode, mode -> level));
    }

    @Test
    void theRenderedNamespaceEnforcesAuditsAndWarnsAtRestricted() {
        assertEquals(level("restricted"), podSecurityLabels(PlainManifestsTest.DEPLOY_VALUES));
        Namespace namespace = Chart.render(PlainManifestsTest.DEPLOY_VALUES).one(Namespace.class);
        assertEquals(Chart.NAMESPACE, namespace.getMetadata().getName());
        assertEquals("modproxy", namespace.getMetadata().getLabels().get("app.kubernetes.io/name"));
    }

    @Test
    void aPlatformWithItsOwnPolicyChangesTheLevelOrDropsTheLabels() {
        assertEquals(
                level("baseline"),
                podSecurityLabels(Chart.values("createNamespace", true, "namespacePodSecurity", "baseline")));
        // empty: no label at all, the cluster's default (or the platform's own labelling) applies
        Namespace unlabelled =
                Chart.parse(Chart.templateWithValuesFile("createNamespace: true\nnamespacePodSecurity: \"\"\n"))
                        .stream()
                        .filter(Namespace.class::isInstance)
                        .map(Namespace.class::cast)
                        .findFirst()
                        .orElseThrow();
        assertTrue(
                unlabelled.getMetadata().getLabels().keySet().stream()
                        .noneMatch(k -> k.startsWith("pod-security.kubernetes.io/")),
                unlabelled.getMetadata().getLabels().toString());
    }

    @Test
    void aLevelPodSecurityAdmissionDoesNotKnowIsRefusedNamingTheValue() {
        // the API server takes any label value; Pod Security admission then refuses every pod of the namespace
        IllegalStateException error = assertThrows(
                IllegalStateException.class,
                () -> Chart.template(Chart.values("createNamespace", true, "namespacePodSecurity", "Restricted")));
        assertTrue(error.getMessage().contains("/namespacePodSecurity"), error.getMessage());
    }

    @Test
    void withoutCreateNamespaceThereIsNoNamespaceToLabel() {
        assertEquals(List.of(), Chart.render().ofKind("Namespace"));
    }
}
