package dev.modproxy.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The modproxy chart in this repository, rendered by the real helm library. */
final class Chart {

    static final String RELEASE = "modproxy";
    static final String NAMESPACE = "modproxy-system";

    private Chart() {}

    /** The repository root, found from the module directory Maven runs the tests in. */
    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("helm/modproxy"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException(
                    "helm/modproxy not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    static Path directory() {
        return repositoryRoot().resolve("helm/modproxy");
    }

    /**
     * The chart as `helm template --kube-version 1.29` would render it. helm-java 0.0.17 renders as
     * Kubernetes v1.20.0 and takes no --kube-version, and the chart requires 1.29 (kubeVersion in
     * Chart.yaml), so renders use a copy of the chart without that one line. That the real chart
     * refuses an older cluster is checked on its own (OperatorDeploymentTest).
     */
    static synchronized Path renderable() {
        if (renderable == null) {
            try {
                Path parent = Files.createTempDirectory("modproxy-chart-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(parent)));
                Path copy = parent.resolve("modproxy");
                try (Stream<Path> files = Files.walk(directory())) {
                    for (Path file : (Iterable<Path>) files::iterator) {
                        Path target = copy.resolve(directory().relativize(file).toString());
                        if (Files.isDirectory(file)) {
                            Files.createDirectories(target);
                        } else {
                            Files.copy(file, target);
                        }
                    }
                }
                Path chartYaml = copy.resolve("Chart.yaml");
                String withoutKubeVersion = Files.readString(chartYaml).replaceAll("(?m)^kubeVersion:.*\\R", "");
                Files.writeString(chartYaml, withoutKubeVersion);
                renderable = copy;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return renderable;
    }

    private static Path renderable;

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary copy left behind is harmless
        }
    }

    /** `helm template modproxy helm/modproxy --namespace modproxy-system --set k=v...`. */
    static String template(Map<String, ?> values) {
        TemplateCommand command =
                new Helm(renderable()).template().withName(RELEASE).withNamespace(NAMESPACE);
        values.forEach(command::set);
        return command.call();
    }

    /** `helm template ... -f values.yaml`, for values --set cannot give (it drops an empty string). */
    static String templateWithValuesFile(String valuesYaml) {
        return templateWithValuesFile(RELEASE, NAMESPACE, valuesYaml);
    }

    /** `helm template <release> helm/modproxy --namespace <namespace> -f values.yaml`. */
    static String templateWithValuesFile(String release, String namespace, String valuesYaml) {
        try {
            Path file = Files.createTempFile("modproxy-values-", ".yaml");
            try {
                Files.writeString(file, valuesYaml);
                return new Helm(renderable())
                        .template()
                        .withName(release)
                        .withNamespace(namespace)
                        .withValuesFile(file)
                        .call();
            } finally {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Rendered render(Map<String, ?> values) {
        return new Rendered(parse(template(values)));
    }

    static Rendered render() {
        return render(Map.of());
    }

    /** Every non-empty YAML document of a multi-document stream, as typed Kubernetes objects. */
    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            if (document.lines()
                    .allMatch(line -> line.isBlank() || line.stripLeading().startsWith("#"))) {
                continue;
            }
            objects.add(Serialization.unmarshal(document, HasMetadata.class));
        }
        return objects;
    }

    static Map<String, Object> values(Object... keysAndValues) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return values;
    }
}
