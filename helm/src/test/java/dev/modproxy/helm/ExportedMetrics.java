package dev.modproxy.helm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Prometheus names of the meters the proxy and the operator register with Micrometer, read from their
 * sources (so a dashboard is checked against what the code registers, not against a copied list), and named as
 * Micrometer's Prometheus registry names them: dots become underscores, the base unit is appended, counters get
 * _total, timers are in seconds with _count, _sum and _max (and the quantile series under the bare name).
 */
final class ExportedMetrics {

    private static final Pattern BUILDER = Pattern.compile(
            "\\b(Counter|Gauge|Timer|DistributionSummary|FunctionCounter|TimeGauge)\\.builder\\(\\s*(\"([^\"]+)\")?");
    private static final Pattern BASE_UNIT = Pattern.compile("\\.baseUnit\\(\\s*\"([^\"]+)\"\\s*\\)");

    private ExportedMetrics() {}

    /** Every series name the proxy's and the operator's own meters can show on /q/metrics. */
    static Set<String> names() {
        Set<String> names = new TreeSet<>();
        for (String module : List.of("proxy", "operator")) {
            Path sources = Chart.repositoryRoot().resolve(module).resolve("src/main/java");
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                    names.addAll(namesIn(Files.readString(file), file));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return names;
    }

    private static final Pattern TAG = Pattern.compile("\\.tag\\(\\s*\"([^\"]+)\"");

    /**
     * The labels of every series name the proxy's and the operator's own meters show: the tags each builder sets
     * (Micrometer's Prometheus registry keeps their names). A builder that takes tags it does not spell out
     * ({@code .tags(...)}) is refused, as this check could not see them.
     */
    static Map<String, Set<String>> labels() {
        Map<String, Set<String>> labels = new TreeMap<>();
        for (String module : List.of("proxy", "operator")) {
            Path sources = Chart.repositoryRoot().resolve(module).resolve("src/main/java");
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                    String source = Files.readString(file);
                    Matcher builder = BUILDER.matcher(source);
                    while (builder.find()) {
                        int end = source.indexOf(".register(", builder.end());
                        String chain = source.substring(builder.end(), end < 0 ? source.length() : end);
                        if (chain.contains(".tags(")) {
                            throw new AssertionError(file + ": tags this check cannot read: " + chain);
                        }
                        Set<String> tags = new TreeSet<>();
                        Matcher tag = TAG.matcher(chain);
                        while (tag.find()) {
                            tags.add(tag.group(1));
                        }
                        for (String name : namesOfOne(source.substring(builder.start()), file)) {
                            labels.computeIfAbsent(name, n -> new TreeSet<>()).addAll(tags);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return labels;
    }

    /** The series names of the one builder {@code source} starts with. */
    private static List<String> namesOfOne(String source, Object where) {
        Matcher next = BUILDER.matcher(source);
        next.find();
        int second = next.find() ? next.start() : source.length();
        return namesIn(source.substring(0, second), where);
    }

    static List<String> namesIn(String source, Object where) {
        List<String> names = new ArrayList<>();
        Matcher builder = BUILDER.matcher(source);
        while (builder.find()) {
            if (builder.group(3) == null) {
                throw new AssertionError(where + ": a meter whose name is not a literal; this check cannot see it: "
                        + source.substring(builder.start(), Math.min(source.length(), builder.end() + 60)));
            }
            int end = source.indexOf(".register(", builder.end());
            String chain = source.substring(builder.end(), end < 0 ? source.length() : end);
            Matcher unit = BASE_UNIT.matcher(chain);
            String base = builder.group(3).replaceAll("[^a-zA-Z0-9_:]", "_");
            switch (builder.group(1)) {
                case "Counter", "FunctionCounter" ->
                    names.add(base + (unit.find() ? "_" + unit.group(1) : "") + "_total");
                case "Gauge" -> names.add(base + (unit.find() ? "_" + unit.group(1) : ""));
                case "TimeGauge" -> names.add(base + "_seconds");
                case "Timer" -> names.addAll(summary(base + "_seconds", chain));
                default -> names.addAll(summary(base + (unit.find() ? "_" + unit.group(1) : ""), chain));
            }
        }
        return names;
    }

    private static List<String> summary(String base, String chain) {
        List<String> names = new ArrayList<>(List.of(base, base + "_count", base + "_sum", base + "_max"));
        if (chain.contains("publishPercentileHistogram") || chain.contains("serviceLevelObjectives")) {
            names.add(base + "_bucket");
        }
        return names;
    }
}
