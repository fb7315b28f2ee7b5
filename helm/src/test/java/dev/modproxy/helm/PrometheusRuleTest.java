package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.Rule;
import io.fabric8.openshift.api.model.monitoring.v1.RuleGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The alerting rules the chart ships: opt-in, found by Prometheus, drawn only from metrics that exist. */
class PrometheusRuleTest {

    static final String NAME = "modproxy-alerts";

    /** The alerts the chart ships, by their values key. */
    static final Map<String, String> ALERTS = Map.of(
            "upstreamCircuitOpen", "ModproxyUpstreamCircuitOpen",
            "checksumDatabaseUnreachable", "ModproxyChecksumDatabaseUnreachable",
            "checksumMismatch", "ModproxyChecksumMismatch",
            "storageWriteFailures", "ModproxyStorageWriteFailures",
            "storageCircuitOpen", "ModproxyStorageCircuitOpen",
            "serverErrors", "ModproxyServerErrors");

    static List<Rule> rules(Map<String, ?> values) {
        Map<String, Object> enabled = new LinkedHashMap<>(Chart.values("prometheusRule.enabled", true));
        enabled.putAll(values);
        PrometheusRule rule = Chart.render(enabled).one(PrometheusRule.class);
        List<Rule> rules = new ArrayList<>();
        for (RuleGroup group : rule.getSpec().getGroups()) {
            rules.addAll(group.getRules());
        }
        return rules;
    }

    static List<Rule> rules() {
        return rules(Map.of());
    }

    @Test
    void thereIsNoPrometheusRuleUnlessAskedFor() {
        // the install would fail on a cluster without the prometheus-operator's CRD
        assertEquals(List.of(), Chart.render().ofKind("PrometheusRule"));
        assertEquals(
                List.of(),
                Chart.render(Chart.values("grafana.dashboard.enabled", true)).ofKind("PrometheusRule"));
    }

    @Test
    void enabledItIsAPrometheusRuleThatPrometheusSelects() {
        PrometheusRule rule = Chart.render(Chart.values(
                        "prometheusRule.enabled", true,
                        "prometheusRule.namespace", "monitoring",
                        "prometheusRule.labels.release", "kube-prometheus-stack",
                        "prometheusRule.annotations.owner", "platform team"))
                .one(PrometheusRule.class);

        assertEquals("monitoring.coreos.com/v1", rule.getApiVersion());
        assertEquals(NAME, rule.getMetadata().getName());
        assertEquals("monitoring", rule.getMetadata().getNamespace());
        assertEquals("kube-prometheus-stack", rule.getMetadata().getLabels().get("release"));
        assertEquals("modproxy", rule.getMetadata().getLabels().get("app.kubernetes.io/name"));
        assertEquals("platform team", rule.getMetadata().getAnnotations().get("owner"));
        // every field is one the CRD's type has: an unknown one (a typo) lands in additionalProperties
        assertEquals(Map.of(), rule.getAdditionalProperties());
        assertEquals(Map.of(), rule.getSpec().getAdditionalProperties());
        for (RuleGroup group : rule.getSpec().getGroups()) {
            assertEquals(Map.of(), group.getAdditionalProperties(), group.getName());
            for (Rule alert : group.getRules()) {
                assertEquals(Map.of(), alert.getAdditionalProperties(), alert.getAlert());
            }
        }
        assertEquals(
                new TreeSet<>(ALERTS.values()),
                new TreeSet<>(rules().stream().map(Rule::getAlert).toList()),
                "the alerts the chart ships");

        // named after fullnameOverride, as every object of the chart
        assertEquals(
                "gomods-alerts",
                Chart.render(ValuesMatrix.EVERYTHING)
                        .one(PrometheusRule.class)
                        .getMetadata()
                        .getName());
        // by default in the release namespace
        assertEquals(
                Chart.NAMESPACE,
                Chart.render(Chart.values("prometheusRule.enabled", true))
                        .one(PrometheusRule.class)
                        .getMetadata()
                        .getNamespace());
    }

    @Test
    void everyAlertHasASeverityTheTeamsLabelsAndNamesTheCache() {
        for (Rule alert : rules(Chart.values("prometheusRule.additionalAlertLabels.team", "platform"))) {
            String name = alert.getAlert();
            assertTrue(Set.of("warning", "critical").contains(alert.getLabels().get("severity")), name);
            assertEquals("platform", alert.getLabels().get("team"), name);
            assertTrue(alert.getExpr().getStrVal() != null, name + ": the expression is a string");
            // the cache's own name, for Alertmanager's routes and the annotations
            assertTrue(
                    alert.getExpr()
                            .getStrVal()
                            .replaceAll("\\s+", " ")
                            .matches(
                                    "(?s)label_replace\\(.*, \"cache\", \"\\$1\", \"service\", \"\\(\\.\\+\\)-management\"\\)"),
                    name + ": " + alert.getExpr().getStrVal());
            for (String key : List.of("summary", "description")) {
                String text = alert.getAnnotations().get(key);
                assertTrue(text != null && !text.isBlank(), name + " has no " + key);
                assertTrue(
                        text.contains("{{ $labels.namespace }}/{{ $labels.cache }}"),
                        name + "'s " + key + " names no cache: " + text);
            }
        }
    }

    @Test
    void theCacheLabelIsTheGoProxyCachesName() {
        // the same mapping from "<cache>-management" as the dashboard's picker (CacheNames.managementService)
        Pattern replace = Pattern.compile("(.+)-management");
        Matcher builds = replace.matcher("builds-management");
        assertTrue(builds.matches());
        assertEquals("builds", builds.group(1));
        Matcher dashed = replace.matcher("go-management-management");
        assertTrue(dashed.matches());
        assertEquals("go-management", dashed.group(1));
    }

    @Test
    void everyMetricAndLabelAnAlertUsesIsOneTheProxyExports() {
        Set<String> exported = ExportedMetrics.names();
        Map<String, Set<String>> labels = ExportedMetrics.labels();
        List<String> wrong = new ArrayList<>();
        for (Rule alert : rules()) {
            String expr = alert.getExpr().getStrVal();
            Set<String> unknown = new TreeSet<>(GrafanaDashboardTest.metricNames(expr));
            unknown.removeAll(exported);
            if (!unknown.isEmpty()) {
                wrong.add(alert.getAlert() + " queries metrics nothing exports: " + unknown);
            }
            for (Map.Entry<String, Set<String>> use :
                    GrafanaDashboardTest.labelsUsed(expr).entrySet()) {
                Set<String> missing = new TreeSet<>(use.getValue());
                missing.removeAll(GrafanaDashboardTest.TARGET_LABELS);
                missing.removeAll(labels.getOrDefault(use.getKey(), Set.of()));
                if (!missing.isEmpty()) {
                    wrong.add(alert.getAlert() + ": " + use.getKey() + " has no " + missing);
                }
            }
            // what the annotations show is a label the alert's series keep: the first aggregation's, and "cache"
            Matcher first = Pattern.compile("\\bby\\s*\\(([^)]*)\\)").matcher(expr);
            assertTrue(first.find(), alert.getAlert() + " aggregates by cache: " + expr);
            Set<String> kept = new TreeSet<>(List.of(first.group(1).split("\\s*,\\s*")));
            kept.add("cache");
            for (String text : alert.getAnnotations().values()) {
                Matcher shown = Pattern.compile("\\$labels\\.(\\w+)").matcher(text);
                while (shown.find()) {
                    if (!kept.contains(shown.group(1))) {
                        wrong.add(alert.getAlert() + " shows $labels." + shown.group(1) + ", which it drops: " + text);
                    }
                }
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        // each picture the task asked for is there
        Set<String> queried = new TreeSet<>();
        rules().forEach(r ->
                queried.addAll(GrafanaDashboardTest.metricNames(r.getExpr().getStrVal())));
        assertTrue(
                queried.containsAll(List.of(
                        "modproxy_upstream_circuit_open",
                        "modproxy_sumdb_unverified_total",
                        "modproxy_storage_write_failures_total",
                        "http_server_requests_seconds_count")),
                queried.toString());
    }

    @Test
    void theCommonRequestMetricIsCountedOnlyForCaches() {
        // http_server_requests_seconds is every Quarkus and Spring application's: the ratio is kept to the caches
        Rule errors = rules().stream()
                .filter(r -> r.getAlert().equals("ModproxyServerErrors"))
                .findFirst()
                .orElseThrow();
        String expr = errors.getExpr().getStrVal();
        assertTrue(
                expr.matches("(?s).*and on \\(namespace, service\\)\\s*max by \\(namespace, service\\) "
                        + "\\(modproxy_cache_size_bytes\\).*"),
                expr);
    }

    @Test
    void everyAlertPointsAtItsSectionOfTroubleshooting() throws IOException {
        Set<String> anchors = new TreeSet<>();
        for (String line : Files.readAllLines(Chart.repositoryRoot().resolve("docs/troubleshooting.md"))) {
            if (line.startsWith("#")) {
                anchors.add(anchor(line.replaceFirst("^#+\\s*", "")));
            }
        }
        for (Rule alert : rules()) {
            String runbook = alert.getAnnotations().get("runbook");
            assertEquals("docs/troubleshooting.md#" + alert.getAlert().toLowerCase(Locale.ROOT), runbook);
            assertTrue(
                    anchors.contains(runbook.substring(runbook.indexOf('#') + 1)),
                    alert.getAlert() + ": no heading " + runbook + " in docs/troubleshooting.md");
            assertFalse(alert.getAnnotations().containsKey("runbook_url"), "no URL unless one is given");
        }
        String base = "https://git.example.com/platform/modproxy/blob/v0.1.0/docs/troubleshooting.md";
        for (Rule alert : rules(Chart.values("prometheusRule.runbookBaseUrl", base))) {
            assertEquals(
                    base + "#" + alert.getAlert().toLowerCase(Locale.ROOT),
                    alert.getAnnotations().get("runbook_url"));
        }
    }

    @Test
    void githubAnchorsAreMadeAsGithubMakesThem() {
        assertEquals("modproxyservererrors", anchor("ModproxyServerErrors"));
        assertEquals("builds-are-slow-or-fail-with-the-cache", anchor("Builds are slow or fail with the cache"));
        assertEquals(
                "image-builds-dockerfile-still-download-every-module",
                anchor("Image builds (Dockerfile) still download every module"));
    }

    /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
    static String anchor(String heading) {
        return heading.strip()
                .toLowerCase(Locale.ROOT)
                .replaceAll("[^\\p{L}\\p{N} _-]", "")
                .replace(' ', '-');
    }

    @Test
    void thresholdsDurationsAndSeveritiesAreTheValues() {
        // as --set gives them: helm passes 0.25 as a string, which the schema takes as it takes the number
        Map<String, Rule> set = byName(rules(Chart.values(
                "prometheusRule.alerts.serverErrors.ratio",
                0.25,
                "prometheusRule.alerts.serverErrors.minRequestsPerSecond",
                2,
                "prometheusRule.alerts.serverErrors.for",
                "30m",
                "prometheusRule.alerts.serverErrors.severity",
                "warning",
                "prometheusRule.alerts.checksumDatabaseUnreachable.threshold",
                5,
                "prometheusRule.alerts.storageCircuitOpen.enabled",
                false)));
        // and from a values file, where they are numbers
        Map<String, Rule> file = byName(Chart.parse(Chart.templateWithValuesFile("""
                        prometheusRule:
                          enabled: true
                          alerts:
                            serverErrors: {ratio: 0.25, minRequestsPerSecond: 2, for: 30m, severity: warning}
                            checksumDatabaseUnreachable: {threshold: 5}
                            storageCircuitOpen: {enabled: false}
                        """)).stream()
                .filter(PrometheusRule.class::isInstance)
                .map(PrometheusRule.class::cast)
                .flatMap(r -> r.getSpec().getGroups().stream())
                .flatMap(g -> g.getRules().stream())
                .toList());
        for (Map<String, Rule> byName : List.of(set, file)) {
            Rule errors = byName.get("ModproxyServerErrors");
            assertEquals("30m", errors.getFor());
            assertEquals("warning", errors.getLabels().get("severity"));
            assertTrue(
                    errors.getExpr().getStrVal().contains(") > 0.25\n"),
                    errors.getExpr().getStrVal());
            assertTrue(
                    errors.getExpr().getStrVal().contains(">= 2\n"),
                    errors.getExpr().getStrVal());
            String unverified =
                    byName.get("ModproxyChecksumDatabaseUnreachable").getExpr().getStrVal();
            assertTrue(unverified.matches("(?s).*\\[15m\\]\\)\\s*\\) > 5,.*"), unverified);
            assertFalse(byName.containsKey("ModproxyStorageCircuitOpen"), "a disabled alert is left out");
            assertEquals(ALERTS.size() - 1, byName.size());
        }

        // the defaults
        Map<String, Rule> defaults = byName(rules());
        assertEquals("5m", defaults.get("ModproxyUpstreamCircuitOpen").getFor());
        assertEquals("0m", defaults.get("ModproxyChecksumDatabaseUnreachable").getFor());
        assertEquals("0m", defaults.get("ModproxyChecksumMismatch").getFor());
        assertEquals("15m", defaults.get("ModproxyStorageWriteFailures").getFor());
        assertEquals("5m", defaults.get("ModproxyStorageCircuitOpen").getFor());
        assertEquals("10m", defaults.get("ModproxyServerErrors").getFor());
        assertTrue(defaults.get("ModproxyServerErrors").getExpr().getStrVal().contains(") > 0.1\n"));
    }

    private static Map<String, Rule> byName(List<Rule> rules) {
        Map<String, Rule> byName = new LinkedHashMap<>();
        rules.forEach(r -> byName.put(r.getAlert(), r));
        return byName;
    }

    /** The rendered PrometheusRule as the API server would get it (not through the typed model). */
    static Map<String, Object> renderedObject(Map<String, ?> values) {
        Map<String, Object> enabled = new LinkedHashMap<>(Chart.values("prometheusRule.enabled", true));
        enabled.putAll(values);
        for (String document : Chart.template(enabled).split("(?m)^---\\s*$")) {
            if (document.contains("\nkind: PrometheusRule\n")) {
                GenericKubernetesResource object = Serialization.unmarshal(document, GenericKubernetesResource.class);
                return Serialization.jsonMapper().convertValue(object, new TypeReference<Map<String, Object>>() {});
            }
        }
        throw new AssertionError("no PrometheusRule rendered");
    }

    /**
     * The prometheus-operator's PrometheusRule CRD as its Go module ships it, read where helm/promtool/promtool.sh
     * has the go command fetch that module (.ci/run does it ahead, with promtool).
     */
    static CrdSchema prometheusOperatorsCrd() throws IOException, InterruptedException {
        return new CrdSchema(
                Serialization.unmarshal(Files.readString(promtoolScript("crd")), CustomResourceDefinition.class));
    }

    @Test
    void theRuleMeetsThePrometheusOperatorsCrd() throws IOException, InterruptedException {
        // the CRD of prometheus-operator v0.85.0, as its Go module ships it: unknown fields, patterns, types
        CrdSchema crd = prometheusOperatorsCrd();
        assertEquals(List.of(), crd.problems(renderedObject(Map.of())));
        assertEquals(
                List.of(),
                crd.problems(renderedObject(Chart.values(
                        "prometheusRule.additionalAlertLabels.team", "platform",
                        "prometheusRule.runbookBaseUrl",
                                "https://git.example.com/modproxy/blob/main/docs/troubleshooting.md",
                        "prometheusRule.alerts.serverErrors.for", "1h30m"))));

        // and the check sees what the API server would refuse
        Map<String, Object> misspelt = renderedObject(Map.of());
        rulesOf(misspelt).get(0).put("fore", "5m");
        assertFalse(crd.problems(misspelt).isEmpty(), "an unknown field");
        Map<String, Object> longhand = renderedObject(Map.of());
        rulesOf(longhand).get(0).put("for", "5 minutes");
        assertFalse(crd.problems(longhand).isEmpty(), "a duration Prometheus does not take");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rulesOf(Map<String, Object> prometheusRule) {
        Map<String, Object> spec = (Map<String, Object>) prometheusRule.get("spec");
        Map<String, Object> group = ((List<Map<String, Object>>) spec.get("groups")).get(0);
        return (List<Map<String, Object>>) group.get("rules");
    }

    /**
     * promtool, Prometheus's own rule checker, built by helm/promtool/promtool.sh from its Go module (cached; .ci/run
     * builds it ahead): the rules parse as Prometheus parses them, and the unit tests of
     * src/test/resources/prometheus-rule-tests.yaml evaluate them over made-up series.
     */
    static Path promtool() throws IOException, InterruptedException {
        return promtoolScript("bin");
    }

    /** The path helm/promtool/promtool.sh prints for the command (its last line of output). */
    private static Path promtoolScript(String command) throws IOException, InterruptedException {
        Path script = Chart.repositoryRoot().resolve("helm/promtool/promtool.sh");
        Run run = run(Chart.repositoryRoot(), "bash", script.toString(), command);
        assertEquals(0, run.exit(), "helm/promtool/promtool.sh " + command + " failed:\n" + run.output());
        List<String> lines = run.output().lines().toList();
        return Path.of(lines.get(lines.size() - 1).strip());
    }

    record Run(int exit, String output) {}

    static Run run(Path dir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(process.waitFor(), output);
    }

    /** The rendered alerts as a Prometheus rule file: the PrometheusRule's spec is one. */
    static String ruleFile(Map<String, ?> values) {
        Map<String, Object> enabled = new LinkedHashMap<>(Chart.values("prometheusRule.enabled", true));
        enabled.putAll(values);
        return Serialization.asYaml(
                Chart.render(enabled).one(PrometheusRule.class).getSpec());
    }

    @Test
    void promtoolTakesTheRulesAndTheyFireOnlyOnFailingCaches(@TempDir Path dir) throws Exception {
        Path promtool = promtool();
        Files.writeString(dir.resolve("rules.yaml"), ruleFile(Map.of()));
        Run check = run(dir, promtool.toString(), "check", "rules", "rules.yaml");
        assertEquals(0, check.exit(), check.output());
        assertTrue(check.output().contains("SUCCESS: " + ALERTS.size() + " rules found"), check.output());

        String tests =
                Files.readString(Chart.repositoryRoot().resolve("helm/src/test/resources/prometheus-rule-tests.yaml"));
        Set<String> tested = new TreeSet<>();
        Matcher alertname =
                Pattern.compile("(?m)^\\s*alertname:\\s*(\\S+)\\s*$").matcher(tests);
        while (alertname.find()) {
            tested.add(alertname.group(1));
        }
        assertEquals(new TreeSet<>(ALERTS.values()), tested, "every alert has its unit test");
        Files.writeString(dir.resolve("tests.yaml"), tests);
        Run test = run(dir, promtool.toString(), "test", "rules", "tests.yaml");
        assertEquals(0, test.exit(), test.output());
        assertTrue(test.output().contains("SUCCESS"), test.output());
    }

    @Test
    void promtoolRefusesARuleThatDoesNotParse(@TempDir Path dir) throws Exception {
        // the check above is a real one: the same file with one parenthesis gone is refused
        Path promtool = promtool();
        String rules = ruleFile(Map.of());
        String broken = rules.replaceFirst("\\(modproxy_upstream_circuit_open\\)", "(modproxy_upstream_circuit_open");
        assertTrue(!broken.equals(rules), rules);
        Files.writeString(dir.resolve("rules.yaml"), broken);
        Run check = run(dir, promtool.toString(), "check", "rules", "rules.yaml");
        assertTrue(check.exit() != 0, check.output());
        assertTrue(
                check.output().contains("ModproxyUpstreamCircuitOpen")
                        || check.output().contains("parse error"),
                check.output());
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of(
                        Chart.values("prometheusRule.alerts.serverErrors.for", "10 minutes"),
                        "/prometheusRule/alerts/serverErrors/for"),
                Arguments.of(
                        Chart.values("prometheusRule.alerts.upstreamCircuitOpen.for", "1m5h"),
                        "/prometheusRule/alerts/upstreamCircuitOpen/for"),
                Arguments.of(
                        Chart.values("prometheusRule.alerts.serverErrors.ratio", 10),
                        "/prometheusRule/alerts/serverErrors/ratio"),
                Arguments.of(
                        Chart.values("prometheusRule.alerts.serverErrors.ratio", 0),
                        "/prometheusRule/alerts/serverErrors/ratio"),
                Arguments.of(
                        Chart.values("prometheusRule.alerts.upstreamCircuitOpne.for", "5m"), "upstreamCircuitOpne"),
                Arguments.of(Chart.values("prometheusRule.alerts.storageCircuitOpen.threshold", 3), "threshold"),
                Arguments.of(
                        Chart.values("prometheusRule.alerts.serverErrors.ratio", "25%"),
                        "/prometheusRule/alerts/serverErrors/ratio"),
                Arguments.of(
                        Chart.values("prometheusRule.alerts.serverErrors.ratio", "1.5"),
                        "/prometheusRule/alerts/serverErrors/ratio"),
                Arguments.of(
                        Chart.values("prometheusRule.alerts.checksumDatabaseUnreachable.threshold", "-1"),
                        "/prometheusRule/alerts/checksumDatabaseUnreachable/threshold"),
                Arguments.of(
                        Chart.values("prometheusRule.additionalAlertLabels.severity", "page"),
                        "/prometheusRule/additionalAlertLabels/severity"),
                Arguments.of(
                        Chart.values("prometheusRule.additionalAlertLabels.team-name", "platform"),
                        "/prometheusRule/additionalAlertLabels"),
                Arguments.of(
                        Chart.values("prometheusRule.runbookBaseUrl", "https://git.example.com/t.md#alerts"),
                        "/prometheusRule/runbookBaseUrl"),
                Arguments.of(
                        Chart.values("prometheusRule.labels.team", "platform team"), "/prometheusRule/labels/team"),
                Arguments.of(Chart.values("prometheusRule.namespace", "Monitoring"), "/prometheusRule/namespace"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badValues")
    void theSchemaRefusesABadValueNamingIt(Map<String, Object> values, String where) {
        Map<String, Object> enabled = new LinkedHashMap<>(Chart.values("prometheusRule.enabled", true));
        enabled.putAll(values);
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Chart.template(enabled));
        assertTrue(error.getMessage().contains("schema"), error.getMessage());
        assertTrue(error.getMessage().contains(where), error.getMessage());
    }
}
