package dev.modproxy.e2e;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.Release;
import com.marcnuri.helm.UpgradeCommand;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** The chart of helm/modproxy installed by the real helm library (helm-java), as a platform team runs it. */
public final class ChartRelease {

    public static final String NAME = "modproxy";
    public static final String NAMESPACE = "modproxy-system";
    /** The operator's ServiceAccount, the identity every RBAC rule of the chart is granted to. */
    public static final String SERVICE_ACCOUNT = "modproxy-operator";

    private final ControlPlane cluster;

    public ChartRelease(ControlPlane cluster) {
        this.cluster = cluster;
    }

    public Release install(Map<String, ?> values) {
        return install(NAME, NAMESPACE, values);
    }

    /** A release of another name or namespace, as a second team or a reinstall elsewhere makes it. */
    public Release install(String name, String namespace, Map<String, ?> values) {
        return installCommand(name, namespace, values)
                .withKubeConfig(cluster.kubeconfig())
                .call();
    }

    /** The same, installed by another identity than the cluster admin: a kubeconfig given as its contents. */
    public Release installAs(String kubeconfig, String name, String namespace, Map<String, ?> values) {
        return installCommand(name, namespace, values)
                .withKubeConfigContents(kubeconfig)
                .call();
    }

    private static InstallCommand installCommand(String name, String namespace, Map<String, ?> values) {
        InstallCommand install = new Helm(Repository.chart())
                .install()
                .withName(name)
                .withNamespace(namespace)
                .createNamespace();
        values.forEach(install::set);
        return install;
    }

    /**
     * What helm sent for a release's current revision, by "Kind/name": the manifest it keeps in the release's
     * Secret (sh.helm.release.v1.NAME.vN: base64 of the gzipped release JSON, under the Secret's own base64).
     */
    public static Map<String, GenericKubernetesResource> manifest(
            KubernetesClient client, String name, String namespace) {
        Secret stored = client
                .secrets()
                .inNamespace(namespace)
                .withLabels(Map.of("owner", "helm", "name", name, "status", "deployed"))
                .list()
                .getItems()
                .stream()
                .findFirst()
                .orElseThrow(
                        () -> new IllegalStateException("no deployed revision of release " + namespace + "/" + name));
        byte[] gzipped = Base64.getDecoder()
                .decode(Base64.getDecoder().decode(stored.getData().get("release")));
        String manifest;
        try (var json = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
            Map<?, ?> release = client.getKubernetesSerialization().unmarshal(json, Map.class);
            manifest = (String) release.get("manifest");
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read release " + stored.getMetadata().getName(), e);
        }
        Map<String, GenericKubernetesResource> objects = new LinkedHashMap<>();
        for (String document : manifest.split("(?m)^---\\s*$")) {
            if (document.lines().allMatch(line -> line.isBlank() || line.strip().startsWith("#"))) {
                continue; // a template that rendered nothing but its "# Source:" comment
            }
            GenericKubernetesResource object =
                    client.getKubernetesSerialization().unmarshal(document, GenericKubernetesResource.class);
            objects.put(object.getKind() + "/" + object.getMetadata().getName(), object);
        }
        return objects;
    }

    public Release upgrade(Map<String, ?> values) {
        UpgradeCommand upgrade = new Helm(Repository.chart())
                .upgrade()
                .withName(NAME)
                .withNamespace(NAMESPACE)
                .withKubeConfig(cluster.kubeconfig());
        values.forEach(upgrade::set);
        return upgrade.call();
    }

    public String uninstall() {
        return uninstall(NAME, NAMESPACE);
    }

    public String uninstall(String name, String namespace) {
        return Helm.uninstall(name)
                .withNamespace(namespace)
                .withKubeConfig(cluster.kubeconfig())
                .ignoreNotFound()
                .call();
    }

    /** A token of the operator's ServiceAccount from the TokenRequest API: what a pod of the chart would get. */
    public String operatorToken() {
        TokenRequest request = cluster.admin()
                .serviceAccounts()
                .inNamespace(NAMESPACE)
                .withName(SERVICE_ACCOUNT)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(3600L)
                        .endSpec()
                        .build());
        return request.getStatus().getToken();
    }
}
