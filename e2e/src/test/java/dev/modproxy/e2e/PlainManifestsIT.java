package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** deploy/modproxy.yaml and the examples as a platform team applies them with kubectl. */
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
