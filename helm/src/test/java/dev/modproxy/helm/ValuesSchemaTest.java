package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** values.schema.json turns a wrong value into an error naming the value, before anything reaches a cluster. */
class ValuesSchemaTest {

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of(Chart.values("webhook.timeoutSeconds", 30), "/webhook/timeoutSeconds"),
                Arguments.of(Chart.values("webhook.certMode", "vault"), "/webhook/certMode"),
                Arguments.of(Chart.values("operator.replicas", 0), "/operator/replicas"),
                Arguments.of(Chart.values("operator.image.pullPolicy", "Sometimes"), "/operator/image/pullPolicy"),
                Arguments.of(Chart.values("watchNamespaces[0]", "Not_A_Namespace"), "/watchNamespaces/0"),
                Arguments.of(Chart.values("operator.replica", 2), "replica"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badValues")
    void templateRejectsABadValueNamingIt(Map<String, Object> values, String where) {
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Chart.template(values));
        assertTrue(error.getMessage().contains("schema"), error.getMessage());
        assertTrue(error.getMessage().contains(where), error.getMessage());
    }

    @Test
    void lintFailsOnAChartWhoseValuesBreakTheSchema(@TempDir Path dir) throws IOException {
        Path chart = copyChart(dir);
        Path values = chart.resolve("values.yaml");
        Files.writeString(values, Files.readString(values).replace("certMode: operator", "certMode: self-signed"));

        LintResult result = new Helm(chart).lint().strict().call();
        assertTrue(result.isFailed());
        assertTrue(
                result.getMessages().stream().anyMatch(m -> m.contains("certMode")),
                String.join("\n", result.getMessages()));
    }

    static Path copyChart(Path target) throws IOException {
        Path source = Chart.directory();
        Path chart = target.resolve("modproxy");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path copy = chart.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(file, copy);
                }
            }
        }
        return chart;
    }
}
