package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * deploy/modproxy.yaml and the examples as a platform team applies them with kubectl: the operator comes up in its
 * Namespace, which enforces Pod Security's restricted level.
 */
@ExtendWith(ControlPlane.class)
@Order(1)
class PlainManifestsIT {

    @Test
    void kubectlApplyOfThePlainManifestsIsAcceptedAndTheExamplesPassTheCrdsRules() {
        ControlPlane cluster = ControlPlane.shared();
        String manifests = Repository.root().resolve("deploy/modproxy.yaml").toString();

        Commands.Result applied = cluster.kubectl("apply", "-f", manifests);
        try {
            assertThat(applied.succeeded()).as(applied.toString()).isTrue();
            Commands.Result established = cluster.kubectl(
                    "wait", "--for=condition=Established", "--timeout=60s", "crd/goproxycaches.modproxy.dev");
            assertThat(established.succeeded()).as(established.toString()).isTrue();
            CustomResourceDefinition crd = cluster.admin()
                    .apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName("goproxycaches.modproxy.dev")
                    .get();
            assertThat(crd.getSpec().getNames().getShortNames()).contains("gpc");

            // the file's Namespace enforces the restricted Pod Security level (with audit and warn), and the
            // operator's pods are admitted under it: no warning from kubectl, the Deployment available
            assertThat(cluster.admin()
                            .namespaces()
                            .withName("modproxy-system")
                            .get()
                            .getMetadata()
                            .getLabels())
                    .containsEntry("pod-security.kubernetes.io/enforce", "restricted")
                    .containsEntry("pod-security.kubernetes.io/audit", "restricted")
                    .containsEntry("pod-security.kubernetes.io/warn", "restricted");
            assertThat(applied.stderr()).doesNotContain("PodSecurity");
            Commands.Result available = cluster.kubectl(
                    "-n", "modproxy-system", "rollout", "status", "deployment/modproxy-operator", "--timeout=60s");
            assertThat(available.succeeded()).as(available.toString()).isTrue();

            Namespaces.ensure(cluster.admin(), "ci");
            for (String example :
                    new String[] {"goproxycache-default.yaml", "goproxycache-china.yaml", "goproxycache-private.yaml"
                    }) {
                Commands.Result dryRun = cluster.kubectl(
                        "apply",
                        "--dry-run=server",
                        "-f",
                        Repository.root().resolve("examples").resolve(example).toString());
                assertThat(dryRun.succeeded()).as(dryRun.toString()).isTrue();
            }
        } finally {
            // the chart installs the same cluster-scoped names next: leave nothing behind
            Commands.Result deleted =
                    cluster.kubectl("delete", "--ignore-not-found", "--wait=true", "--timeout=120s", "-f", manifests);
            assertThat(deleted.succeeded()).as(deleted.toString()).isTrue();
        }
    }
}
