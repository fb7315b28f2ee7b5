package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
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
import org.junit.jupiter.api.Test;

/** The Grafana dashboard the chart ships: found by Grafana's sidecar, and drawn only from metrics that exist. */
class GrafanaDashboardTest {

    private static final String CONFIG_MAP = "modproxy-grafana-dashboard";

    @Test
    void theDashboardIsOffByDefault() {
        assertTrue(
                Chart.render().all(ConfigMap.class).stream()
                        .noneMatch(c -> c.getMetadata().getName().equals(CONFIG_MAP)),
                "no dashboard unless asked for");
    }

    @Test
    void enabledItIsAConfigMapGrafanasSidecarPicksUp() throws Exception {
        ConfigMap map = Chart.render(Chart.values(
                        "grafana.dashboard.enabled",
                        true,
                        "grafana.dashboard.namespace",
                        "monitoring",
                        "grafana.dashboard.annotations.grafana_folder",
                        "modproxy"))
                .named(ConfigMap.class, CONFIG_MAP);

        assertEquals("1", map.getMetadata().getLabels().get("grafana_dashboard"));
        assertEquals("monitoring", map.getMetadata().getNamespace());
        assertEquals("modproxy", map.getMetadata().getAnnotations().get("grafana_folder"));
        JsonNode shipped = new ObjectMapper().readTree(map.getData().get("modproxy.json"));
        assertEquals(
                new ObjectMapper().readTree(Files.readString(dashboardFile())),
                shipped,
                "the ConfigMap carries the dashboard file unchanged");
        assertEquals("modproxy", shipped.path("uid").asText());
    }

    @Test
    void everyMetricTheDashboardQueriesIsOneTheProxyOrOperatorExports() throws Exception {
        Set<String> exported = ExportedMetrics.names();
        Set<String> queried = new TreeSet<>();
        for (String query : queries(new ObjectMapper().readTree(Files.readString(dashboardFile())))) {
            queried.addAll(metricNames(query));
        }

        Set<String> unknown = new TreeSet<>(queried);
        unknown.removeAll(exported);
        assertTrue(
                unknown.isEmpty(),
                "the dashboard queries metrics nothing exports: " + unknown + "\nexported: " + exported);
        // each picture the issue asks for is there
        assertTrue(
                queried.containsAll(List.of(
                        "modproxy_cache_hits_total",
                        "modproxy_cache_misses_total",
                        "modproxy_served_bytes_total",
                        "modproxy_upstream_requests_seconds_sum",
                        "modproxy_upstream_requests_seconds_count",
                        "modproxy_upstream_errors_total",
                        "modproxy_cache_evictions_total",
                        "modproxy_sumdb_rejections_total",
                        "modproxy_cache_size_bytes",
                        "modproxy_cache_bound_bytes",
                        "modproxy_webhook_injections_total")),
                queried.toString());
    }

    @Test
    void theCacheVariableListsGoProxyCacheNamesAndSelectsTheirManagementServices() throws Exception {
        // Prometheus labels the proxy's series with the Service scraped: the operator's
        // "<cache>-management" (CacheNames.managementService). The picker shows the cache's own name.
        JsonNode cache = null;
        for (JsonNode variable : new ObjectMapper()
                .readTree(Files.readString(dashboardFile()))
                .path("templating")
                .path("list")) {
            if ("cache".equals(variable.path("name").asText())) {
                cache = variable;
            }
        }
        assertTrue(cache != null, "the dashboard has a cache variable");
        String regex = cache.path("regex").asText();
        assertTrue(regex.startsWith("/") && regex.endsWith("/"), "Grafana's /regex/ form: " + regex);
        // Grafana takes the named groups "text" (shown) and "value" (put into the queries)
        Pattern grafana = Pattern.compile(regex.substring(1, regex.length() - 1));

        Matcher builds = grafana.matcher("builds-management");
        assertTrue(builds.matches(), regex);
        assertEquals("builds", builds.group("text"));
        assertEquals("builds-management", builds.group("value"), "the queries' service=~\"$cache\" still match");
        Matcher dashed = grafana.matcher("go-management-management");
        assertTrue(dashed.matches(), regex);
        assertEquals("go-management", dashed.group("text"));
        assertTrue(!grafana.matcher("builds").matches(), "the build pods' Service exports no metrics of its own");
    }

    @Test
    void theNamesAreTheOnesMicrometerPublishes() {
        // the forms proxy/README.md and docs/troubleshooting.md show scraped from /q/metrics
        Set<String> exported = ExportedMetrics.names();
        assertTrue(
                exported.containsAll(List.of(
                        "modproxy_cache_hits_total",
                        "modproxy_served_bytes_total",
                        "modproxy_upstream_requests_seconds_count",
                        "modproxy_upstream_requests_seconds_max",
                        "modproxy_cache_size_bytes",
                        "modproxy_upstream_circuit_open",
                        "modproxy_webhook_injections_total",
                        "modproxy_webhook_review_seconds_sum")),
                exported.toString());
        assertTrue(
                !exported.contains("modproxy_cache_hits") && !exported.contains("modproxy_cache_size"),
                exported.toString());
    }

    @Test
    void theSharedCachesFiguresAreNotAddedUpOverItsReplicas() throws Exception {
        // every replica of a cache on shared storage (objectStorage or ReadWriteMany, which more than one replica
        // needs) counts the whole cache at its start: added up, 3 replicas showed 3 times the cache, above its bound
        List<String> storedFigures = new ArrayList<>();
        for (String query : queries(new ObjectMapper().readTree(Files.readString(dashboardFile())))) {
            Set<String> names = metricNames(query);
            if (names.contains("modproxy_cache_size_bytes") || names.contains("modproxy_cache_entries")) {
                storedFigures.add(query);
            }
        }
        assertTrue(!storedFigures.isEmpty(), "the dashboard shows what the cache stores");
        for (String query : storedFigures) {
            assertTrue(
                    !query.matches("(?s).*\\b(sum|count)\\b.*"),
                    "one replica's figure, not the replicas' sum: " + query);
        }
    }

    /** Labels Prometheus puts on every series it scrapes (target labels, from the ServiceMonitor's endpoints). */
    static final Set<String> TARGET_LABELS =
            Set.of("namespace", "service", "pod", "instance", "job", "container", "endpoint");

    @Test
    void everyLabelTheDashboardSelectsOrGroupsByIsOneItsMetricsCarry() throws Exception {
        // a panel grouping by a label its metric does not have draws one unlabelled line; a matcher on one, nothing
        Map<String, Set<String>> exported = ExportedMetrics.labels();
        List<String> wrong = new ArrayList<>();
        for (String query : queries(new ObjectMapper().readTree(Files.readString(dashboardFile())))) {
            for (Map.Entry<String, Set<String>> use : labelsUsed(query).entrySet()) {
                Set<String> missing = new TreeSet<>(use.getValue());
                missing.removeAll(TARGET_LABELS);
                missing.removeAll(exported.getOrDefault(use.getKey(), Set.of()));
                if (!missing.isEmpty()) {
                    wrong.add(use.getKey() + " has no " + missing + " in: " + query);
                }
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong) + "\nexported: " + exported);
    }

    @Test
    void labelsAreReadOutOfPromQl() {
        assertEquals(
                Map.of("a_total", Set.of("kind", "namespace"), "b_total", Set.of("kind", "x")),
                labelsUsed("sum by (kind) (rate(a_total{namespace=~\"$namespace\"}[5m])) / sum by (kind) "
                        + "(rate(b_total{x=\"a,b}\"}[5m]))"));
        assertEquals(Map.of("up", Set.of("upstream")), labelsUsed("max by (upstream) (up)"));
        assertEquals(Map.of("up", Set.of()), labelsUsed("sum(rate(up[5m]))"));
    }

    /**
     * The labels a query needs of each metric it selects: those of its matchers, and those of the grouping of every
     * aggregation around it (by (...) (expr), the form the dashboard writes).
     */
    static Map<String, Set<String>> labelsUsed(String promQl) {
        Map<String, Set<String>> used = new TreeMap<>();
        for (String name : metricNames(promQl)) {
            used.put(name, new TreeSet<>());
        }
        Matcher selector = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{((?:[^}\"]|\"(?:[^\"\\\\]|\\\\.)*\")*)}")
                .matcher(promQl);
        while (selector.find()) {
            Matcher label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"(?:[^\"\\\\]|\\\\.)*\"")
                    .matcher(selector.group(2));
            while (label.find()) {
                used.computeIfAbsent(selector.group(1), n -> new TreeSet<>()).add(label.group(1));
            }
        }
        Matcher grouping = Pattern.compile("\\bby\\s*\\(([^)]*)\\)\\s*\\(").matcher(promQl);
        while (grouping.find()) {
            String inner = balanced(promQl, grouping.end() - 1);
            for (String name : metricNames(inner)) {
                for (String label : grouping.group(1).split(",")) {
                    if (!label.isBlank()) {
                        used.computeIfAbsent(name, n -> new TreeSet<>()).add(label.strip());
                    }
                }
            }
        }
        return used;
    }

    /** The parenthesised expression that opens at {@code open}. */
    private static String balanced(String text, int open) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                return text.substring(open + 1, i);
            }
        }
        throw new AssertionError("unbalanced parentheses: " + text);
    }

    @Test
    void metricNamesAreReadOutOfPromQl() {
        assertEquals(
                Set.of("a_total", "b_total"),
                metricNames(
                        "sum by (kind, outcome) (rate(a_total{namespace=~\"$namespace\", x=\"y z\"}[$__rate_interval])) "
                                + "/ on (kind) group_left sum without (pod) (rate(b_total[5m])) > bool 0.5"));
        assertEquals(
                Set.of("modproxy_cache_size_bytes"),
                metricNames("label_values(modproxy_cache_size_bytes{namespace=~\"$namespace\"}, service)"));
        assertEquals(Set.of("up"), metricNames("max by (upstream) (up offset 5m)"));
        // the strings of a function's arguments are no metric names, nor is a brace inside one a selector
        assertEquals(
                Set.of("a_total"),
                metricNames("label_replace(sum by (service) (a_total{x=\"{y}\"}) > 0, \"cache\", \"$1\", \"service\", "
                        + "\"(.+)-management\")"));
    }

    static Path dashboardFile() {
        return Chart.directory().resolve("dashboards/modproxy.json");
    }

    /** The PromQL of every panel target and of every query variable. */
    static List<String> queries(JsonNode dashboard) {
        List<String> queries = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> {
            panel.path("targets").forEach(t -> queries.add(t.path("expr").asText()));
            panel.path("panels")
                    .forEach(inner -> inner.path("targets")
                            .forEach(t -> queries.add(t.path("expr").asText())));
        });
        dashboard.path("templating").path("list").forEach(variable -> {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode query = variable.path("query");
                queries.add(query.isObject() ? query.path("query").asText() : query.asText());
                queries.add(variable.path("definition").asText());
            }
        });
        assertTrue(queries.stream().noneMatch(String::isBlank), "a target without a query: " + queries);
        return queries;
    }

    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w$:.])([a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()");
    private static final Set<String> KEYWORDS = Set.of(
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "bool",
            "and",
            "or",
            "unless",
            "offset",
            "inf",
            "nan");

    /** The metric names a PromQL expression (or a Grafana label_values(...) query) selects. */
    static Set<String> metricNames(String promQl) {
        String rest = promQl.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"") // string literals (label_replace's too)
                .replaceAll("\\{[^}]*}", " ") // label matchers, with their quoted values
                .replaceAll("\\[[^]]*]", " ") // range and subquery windows
                .replaceAll("\\$\\w+", " ") // Grafana variables
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("label_values\\(([^,)]*),[^)]*\\)", "label_values($1)")
                .replaceAll("\\boffset\\s+\\w+", " ");
        Set<String> names = new TreeSet<>();
        Matcher identifier = IDENTIFIER.matcher(rest);
        while (identifier.find()) {
            if (!KEYWORDS.contains(identifier.group(1).toLowerCase(java.util.Locale.ROOT))) {
                names.add(identifier.group(1));
            }
        }
        return names;
    }
}
