package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ChartLintTest {

    @Test
    void chartPassesStrictLint() {
        LintResult result = new Helm(Chart.directory()).lint().strict().call();
        assertFalse(result.isFailed(), () -> String.join("\n", result.getMessages()));
    }

    /** helm lint takes no --set here, so each value set is written into the values.yaml of a copy of the chart. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.modproxy.helm.ValuesMatrix#all")
    void chartPassesStrictLintWithEveryValueSet(String name, Map<String, Object> values, @TempDir Path dir)
            throws IOException {
        Path chart = ValuesSchemaTest.copyChart(dir);
        Path valuesFile = chart.resolve("values.yaml");
        @SuppressWarnings("unchecked")
        Map<String, Object> merged = Serialization.unmarshal(Files.readString(valuesFile), Map.class);
        values.forEach((key, value) -> set(merged, key, value));
        Files.writeString(valuesFile, Serialization.asYaml(merged));

        LintResult result = new Helm(chart).lint().strict().call();
        assertFalse(result.isFailed(), () -> String.join("\n", result.getMessages()));
    }

    private static final Pattern INDEXED = Pattern.compile("(.+)\\[(\\d+)]");

    /** Applies one --set style key ("a.b", "list[0]") to a values tree. */
    @SuppressWarnings("unchecked")
    static void set(Map<String, Object> values, String key, Object value) {
        String[] path = key.split("\\.");
        Map<String, Object> node = values;
        for (int i = 0; i < path.length - 1; i++) {
            node = (Map<String, Object>) node.compute(path[i], (k, v) -> v instanceof Map ? v : new LinkedHashMap<>());
        }
        String last = path[path.length - 1];
        Matcher indexed = INDEXED.matcher(last);
        if (indexed.matches()) {
            List<Object> list = (List<Object>) node.compute(
                    indexed.group(1),
                    (k, v) -> v instanceof List ? new ArrayList<>((List<Object>) v) : new ArrayList<>());
            int index = Integer.parseInt(indexed.group(2));
            while (list.size() <= index) {
                list.add(null);
            }
            list.set(index, value);
        } else {
            node.put(last, value);
        }
    }
}
