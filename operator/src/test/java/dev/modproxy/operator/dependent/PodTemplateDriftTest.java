package dev.modproxy.operator.dependent;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.zjsonpatch.JsonPatch;
import org.junit.jupiter.api.Test;

/**
 * The managed fields below are those a real API server recorded for the edits of a hostile probe (kubectl set env, a
 * strategic merge patch adding a container, one setting hostNetwork and privilege) and for kubectl rollout restart.
 */
class PodTemplateDriftTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OPERATOR = "goproxycache";

    private static final String OPERATORS_APPLY = """
            {"manager":"goproxycache","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{
             "f:replicas":{},"f:template":{"f:metadata":{"f:annotations":{"f:modproxy.dev/config-hash":{}}},
             "f:spec":{"f:automountServiceAccountToken":{},"f:containers":{"k:{\\"name\\":\\"proxy\\"}":{".":{},
             "f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":8080,\\"protocol\\":\\"TCP\\"}":{".":{},
             "f:containerPort":{},"f:name":{},"f:protocol":{}}},"f:securityContext":{"f:allowPrivilegeEscalation":{},
             "f:readOnlyRootFilesystem":{}}}}}}}}}
            """;
    private static final String SET_ENV = """
            {"manager":"kubectl-set","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:template":{
             "f:spec":{"f:containers":{"k:{\\"name\\":\\"proxy\\"}":{"f:env":{".":{},
             "k:{\\"name\\":\\"MODPROXY_UPSTREAM\\"}":{".":{},"f:name":{},"f:value":{}},
             "k:{\\"name\\":\\"MODPROXY_SUMDB\\"}":{".":{},"f:name":{},"f:value":{}}}}}}}}}}
            """;
    private static final String SIDECAR_AND_PRIVILEGE = """
            {"manager":"kubectl-patch","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:template":{
             "f:spec":{"f:automountServiceAccountToken":{},"f:hostNetwork":{},"f:containers":{
             "k:{\\"name\\":\\"sidecar\\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{}},
             "k:{\\"name\\":\\"proxy\\"}":{"f:ports":{"k:{\\"containerPort\\":8080,\\"protocol\\":\\"TCP\\"}":{
             "f:hostPort":{}}},"f:securityContext":{"f:allowPrivilegeEscalation":{},"f:privileged":{},
             "f:readOnlyRootFilesystem":{}}}}}}}}}
            """;
    private static final String ROLLOUT_RESTART = """
            {"manager":"kubectl-rollout","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:template":{
             "f:metadata":{"f:annotations":{"f:kubectl.kubernetes.io/restartedAt":{}}}}}}}
            """;
    private static final String SCALE = """
            {"manager":"kubectl","operation":"Update","subresource":"scale","fieldsType":"FieldsV1","fieldsV1":{
             "f:spec":{"f:replicas":{}}}}
            """;
    private static final String CONTROLLER_STATUS = """
            {"manager":"kube-controller-manager","operation":"Update","subresource":"status","fieldsType":"FieldsV1",
             "fieldsV1":{"f:status":{"f:replicas":{}}}}
            """;

    private final Deployment desired = ProxyDeploymentDependent.desiredDeployment(cache(spec -> {}));

    @Test
    void whatOtherManagersAddedToThePodTemplateGoesInOnePatchThatLeavesTheOperatorsTemplateAndTheRestart()
            throws Exception {
        Deployment edited = probed(desired);

        PodTemplateDrift drift = PodTemplateDrift.of(edited, desired, OPERATOR);

        assertThat(drift.removed())
                .extracting(PodTemplateDrift.Field::path)
                .containsExactlyInAnyOrder(
                        "spec.template.spec.containers[name=proxy].env",
                        "spec.template.spec.containers[name=sidecar]",
                        "spec.template.spec.hostNetwork",
                        "spec.template.spec.containers[name=proxy].ports[containerPort=8080,protocol=TCP].hostPort",
                        "spec.template.spec.containers[name=proxy].securityContext.privileged");
        assertThat(drift.changed())
                .extracting(PodTemplateDrift.Field::path)
                .containsExactlyInAnyOrder(
                        "spec.template.spec.automountServiceAccountToken",
                        "spec.template.spec.containers[name=proxy].securityContext.allowPrivilegeEscalation",
                        "spec.template.spec.containers[name=proxy].securityContext.readOnlyRootFilesystem");
        assertThat(drift.describe())
                .startsWith("field manager kubectl-set: spec.template.spec.containers[name=proxy].env; "
                        + "field manager kubectl-patch: ")
                .contains("spec.template.spec.hostNetwork");

        JsonNode patched = JsonPatch.apply(JSON.readTree(drift.jsonPatch("41")), JSON.valueToTree(edited));
        assertThat(patched.at("/metadata/resourceVersion").asText())
                .as("the resourceVersion read, which the API server compares")
                .isEqualTo("41");
        ObjectNode expected = (ObjectNode) JSON.valueToTree(desired).at("/spec/template");
        ((ObjectNode) expected.at("/metadata/annotations")).put("kubectl.kubernetes.io/restartedAt", "2026-12-05");
        assertThat(reparsed(patched.at("/spec/template"))).isEqualTo(reparsed(expected));
    }

    @Test
    void listItemsOthersAddedGoWhileTheOperatorsStay() throws Exception {
        Deployment edited = new DeploymentBuilder(desired)
                .editSpec()
                .editTemplate()
                .editSpec()
                .editFirstContainer()
                .withEnv(
                        new EnvVar("SPEC_ENV", "kept", null),
                        new EnvVar("MODPROXY_UPSTREAM", "https://evil.example", null),
                        new EnvVar("MODPROXY_SUMDB", "off", null))
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .editMetadata()
                .withResourceVersion("6")
                .withManagedFields(entry(OPERATORS_APPLY), entry(SET_ENV))
                .endMetadata()
                .build();
        Deployment wanted = new DeploymentBuilder(desired)
                .editSpec()
                .editTemplate()
                .editSpec()
                .editFirstContainer()
                .withEnv(new EnvVar("SPEC_ENV", "kept", null))
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();

        PodTemplateDrift drift = PodTemplateDrift.of(edited, wanted, OPERATOR);

        assertThat(drift.removed())
                .extracting(PodTemplateDrift.Field::pointer)
                .containsExactlyInAnyOrder(
                        "/spec/template/spec/containers/0/env/1", "/spec/template/spec/containers/0/env/2");
        JsonNode patched = JsonPatch.apply(JSON.readTree(drift.jsonPatch("7")), JSON.valueToTree(edited));
        assertThat(reparsed(patched.at("/spec/template")))
                .isEqualTo(reparsed(JSON.valueToTree(wanted).at("/spec/template")));
    }

    /** What every resync sees: nothing to write, so the Deployment is not rewritten. */
    @Test
    void aTemplateOthersHoldOnlyAtTheOperatorsValuesOrInTheirRestartAnnotationIsNoDrift() {
        Deployment restarted = new DeploymentBuilder(desired)
                .editSpec()
                .withReplicas(3)
                .editTemplate()
                .editMetadata()
                .addToAnnotations("kubectl.kubernetes.io/restartedAt", "2026-12-05")
                .endMetadata()
                .endTemplate()
                .endSpec()
                .editMetadata()
                .withManagedFields(
                        entry(OPERATORS_APPLY),
                        entry(ROLLOUT_RESTART),
                        entry(SCALE),
                        entry(CONTROLLER_STATUS),
                        // another applier of the same image: shared ownership, nothing to take back
                        entry(OPERATORS_APPLY.replace("goproxycache", "someone-else")))
                .endMetadata()
                .build();

        assertThat(PodTemplateDrift.of(restarted, desired, OPERATOR).isEmpty()).isTrue();
        assertThat(PodTemplateDrift.of(desired, desired, OPERATOR).isEmpty())
                .as("no managed fields (the mock API server)")
                .isTrue();
    }

    /**
     * After a take-back, the API server defaults what was removed (dnsPolicy) and records it under the operator's own
     * patch, an Update: that is the operator's, not a field to remove again at every resync.
     */
    @Test
    void whatTheOperatorsOwnTakeBackPatchCameToHoldIsNoDrift() {
        Deployment defaulted = new DeploymentBuilder(desired)
                .editSpec()
                .editTemplate()
                .editSpec()
                .withDnsPolicy("ClusterFirst")
                .endSpec()
                .endTemplate()
                .endSpec()
                .editMetadata()
                .withManagedFields(entry(OPERATORS_APPLY), entry("""
                                {"manager":"goproxycache","operation":"Update","fieldsV1":{"f:spec":{"f:template":{
                                 "f:spec":{"f:dnsPolicy":{}}}}}}
                                """))
                .endMetadata()
                .build();

        assertThat(PodTemplateDrift.of(defaulted, desired, OPERATOR).isEmpty()).isTrue();
    }

    /**
     * kubectl edit swapped the liveness probe's httpGet for an exec: removing the exec alone would leave a probe with
     * no handler, which the API server refuses, and the apply would then add httpGet beside the exec.
     */
    @Test
    void aSwappedProbeHandlerComesBackAsTheOperatorsProbe() throws Exception {
        Deployment swapped = new DeploymentBuilder(desired)
                .editSpec()
                .editTemplate()
                .editSpec()
                .editFirstContainer()
                .editLivenessProbe()
                .withHttpGet(null)
                .withNewExec()
                .withCommand("true")
                .endExec()
                .endLivenessProbe()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .editMetadata()
                .withResourceVersion("8")
                .withManagedFields(entry(OPERATORS_APPLY), entry("""
                                {"manager":"kubectl-edit","operation":"Update","fieldsV1":{"f:spec":{"f:template":{
                                 "f:spec":{"f:containers":{"k:{\\"name\\":\\"proxy\\"}":{"f:livenessProbe":{
                                 "f:exec":{".":{},"f:command":{}}}}}}}}}}
                                """))
                .endMetadata()
                .build();

        PodTemplateDrift drift = PodTemplateDrift.of(swapped, desired, OPERATOR);

        assertThat(drift.removed())
                .extracting(PodTemplateDrift.Field::path)
                .containsExactly("spec.template.spec.containers[name=proxy].livenessProbe.exec");
        JsonNode patched = JsonPatch.apply(JSON.readTree(drift.jsonPatch("9")), JSON.valueToTree(swapped));
        assertThat(reparsed(patched.at("/spec/template")))
                .isEqualTo(reparsed(JSON.valueToTree(desired).at("/spec/template")));
    }

    /** An annotation may roll pods, but one that unconfines a container is a security setting like any other. */
    @Test
    void anotherManagersAnnotationThatUnconfinesTheProxyIsTakenBackWhileARestartStays() {
        Deployment unconfined = new DeploymentBuilder(desired)
                .editSpec()
                .editTemplate()
                .editMetadata()
                .addToAnnotations("kubectl.kubernetes.io/restartedAt", "2026-12-05")
                .addToAnnotations("container.apparmor.security.beta.kubernetes.io/proxy", "unconfined")
                .endMetadata()
                .endTemplate()
                .endSpec()
                .editMetadata()
                .withManagedFields(entry(OPERATORS_APPLY), entry(ROLLOUT_RESTART), entry("""
                                {"manager":"kubectl-annotate","operation":"Update","fieldsV1":{"f:spec":{
                                 "f:template":{"f:metadata":{"f:annotations":{
                                 "f:container.apparmor.security.beta.kubernetes.io/proxy":{}}}}}}}
                                """))
                .endMetadata()
                .build();

        PodTemplateDrift drift = PodTemplateDrift.of(unconfined, desired, OPERATOR);

        assertThat(drift.changed()).isEmpty();
        assertThat(drift.removed())
                .extracting(f -> f.manager() + " " + f.path())
                .containsExactly("kubectl-annotate spec.template.metadata.annotations"
                        + ".container.apparmor.security.beta.kubernetes.io/proxy");
    }

    @Test
    void anOperatorsFieldAnotherManagerChangedIsReportedAndLeftToTheApply() {
        Deployment imageSet = new DeploymentBuilder(desired)
                .editSpec()
                .editTemplate()
                .editSpec()
                .editFirstContainer()
                .withImage("example.com/someone-elses:latest")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .editMetadata()
                .withManagedFields(entry(OPERATORS_APPLY), entry("""
                                {"manager":"kubectl-set","operation":"Update","fieldsV1":{"f:spec":{"f:template":{
                                 "f:spec":{"f:containers":{"k:{\\"name\\":\\"proxy\\"}":{"f:image":{}}}}}}}}
                                """))
                .endMetadata()
                .build();

        PodTemplateDrift drift = PodTemplateDrift.of(imageSet, desired, OPERATOR);

        assertThat(drift.removed()).isEmpty();
        assertThat(drift.changed())
                .extracting(f -> f.manager() + " " + f.path() + " " + f.wanted().asText())
                .containsExactly("kubectl-set spec.template.spec.containers[name=proxy].image "
                        + desired.getSpec()
                                .getTemplate()
                                .getSpec()
                                .getContainers()
                                .get(0)
                                .getImage());
    }

    /** The Deployment as the probe left it, with the managed fields the API server recorded for it. */
    private static Deployment probed(Deployment desired) {
        return new DeploymentBuilder(desired)
                .editSpec()
                .editTemplate()
                .editMetadata()
                .addToAnnotations("kubectl.kubernetes.io/restartedAt", "2026-12-05")
                .endMetadata()
                .editSpec()
                .withHostNetwork(true)
                .withAutomountServiceAccountToken(true)
                .editFirstContainer()
                .addNewEnv()
                .withName("MODPROXY_UPSTREAM")
                .withValue("https://evil.example")
                .endEnv()
                .addNewEnv()
                .withName("MODPROXY_SUMDB")
                .withValue("off")
                .endEnv()
                .editFirstPort()
                .withHostPort(8080)
                .endPort()
                .editSecurityContext()
                .withPrivileged(true)
                .withAllowPrivilegeEscalation(true)
                .withReadOnlyRootFilesystem(false)
                .endSecurityContext()
                .endContainer()
                .addToContainers(new ContainerBuilder()
                        .withName("sidecar")
                        .withImage("evil/miner")
                        .withImagePullPolicy("Always")
                        .build())
                .endSpec()
                .endTemplate()
                .endSpec()
                .editMetadata()
                .withResourceVersion("40")
                .withManagedFields(
                        entry(OPERATORS_APPLY),
                        entry(SET_ENV),
                        entry(SIDECAR_AND_PRIVILEGE),
                        entry(ROLLOUT_RESTART),
                        entry(CONTROLLER_STATUS))
                .endMetadata()
                .build();
    }

    /** As the API server reads the patch: JSON text, whatever node types the tree was built with. */
    private static JsonNode reparsed(JsonNode node) throws JsonProcessingException {
        return JSON.readTree(node.toString());
    }

    private static ManagedFieldsEntry entry(String json) {
        try {
            return JSON.readValue(json, ManagedFieldsEntry.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(json, e);
        }
    }
}
