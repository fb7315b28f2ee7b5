package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart as a dependency of a platform team's umbrella chart: Helm hands every dependency the umbrella's
 * `global` values (an empty object at least), which a schema refusing unknown top-level keys refused, so the chart
 * could not be a dependency at all ("at '': additional properties 'global' not allowed").
 */
class UmbrellaChartTest {

    private static Path umbrella(Path dir, String values) throws IOException {
        Path parent = dir.resolve("platform");
        Path dependency = parent.resolve("charts/modproxy");
        try (Stream<Path> files = Files.walk(Chart.renderable())) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path copy =
                        dependency.resolve(Chart.renderable().relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(file, copy);
                }
            }
        }
        Files.writeString(parent.resolve("Chart.yaml"), """
                apiVersion: v2
                name: platform
                version: 1.0.0
                dependencies:
                  - name: modproxy
                    version: 0.1.0
                """);
        Files.writeString(parent.resolve("values.yaml"), values);
        return parent;
    }

    private static String template(Path chart) {
        return new Helm(chart)
                .template()
                .withName("platform")
                .withNamespace(Chart.NAMESPACE)
                .call();
    }

    @Test
    void theChartRendersAsADependencyWithTheUmbrellasValues(@TempDir Path dir) throws IOException {
        Path chart = umbrella(dir, """
                global:
                  imageRegistry: registry.corp.example
                modproxy:
                  operator:
                    replicas: 2
                """);
        Rendered rendered = new Rendered(Chart.parse(template(chart)));
        assertEquals(2, rendered.one(Deployment.class).getSpec().getReplicas());
    }

    @Test
    void aWrongValueGivenThroughTheUmbrellaIsStillRefused(@TempDir Path dir) throws IOException {
        Path chart = umbrella(dir, "modproxy:\n  operator:\n    replica: 2\n");
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> template(chart));
        assertTrue(error.getMessage().contains("/operator"), error.getMessage());
        assertTrue(error.getMessage().contains("replica"), error.getMessage());
    }
}
