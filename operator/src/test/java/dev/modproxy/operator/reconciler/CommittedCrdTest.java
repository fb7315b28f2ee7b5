package dev.modproxy.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.cluster.ClusterUnderTest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The CRD users apply from crds/ is the one the API types generate. */
@QuarkusTest
@QuarkusTestResource(ClusterUnderTest.class)
class CommittedCrdTest {

    private static final String FILE = "goproxycaches.modproxy.dev-v1.yml";
    // written by the operator SDK while this test application is built
    private static final Path GENERATED = Path.of("target", "kubernetes", FILE);
    private static final Path COMMITTED = Path.of("..", "crds", FILE);

    @Test
    void committedCrdMatchesTheGeneratedOne() throws IOException {
        assertThat(GENERATED).as("generated CRD").exists();
        assertThat(COMMITTED).as("committed CRD").exists();
        assertThat(content(COMMITTED))
                .as(
                        "crds/%s is out of date with the API types in dev.modproxy.operator.api.v1alpha1. Refresh it with: "
                                + "./mvnw -pl operator package -DskipTests && cp operator/target/kubernetes/%s crds/",
                        FILE, FILE)
                .isEqualTo(content(GENERATED));
    }

    /** The file without its generator banner comment. */
    private static String content(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        return lines.stream().filter(l -> !l.startsWith("#")).collect(Collectors.joining("\n"));
    }
}
