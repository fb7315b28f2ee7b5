package dev.modproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.w3c.dom.Element;

/**
 * The operator module's own tests, the fast tier that runs on fabric8's mock API server, run again
 * unchanged against this control plane (MODPROXY_TEST_CLUSTER): a nested Maven runs them, and every one
 * of them must pass there, none skipped (but FenceRisingMidReconciliationTest, excluded by the operator pom's
 * real-cluster profile: it scripts the mock server's answer to a write). Last: their operator watches every namespace.
 */
@ExtendWith(ControlPlane.class)
@Order(7)
class OperatorTestsAgainstClusterIT {

    /** Where the operator's pom (profile real-cluster) writes the reports of a run against a cluster. */
    private static final Path REPORTS = Repository.root().resolve("operator/target/surefire-reports-real-cluster");

    private static final Path LOG = Repository.root().resolve("e2e/target/operator-tests-against-cluster.log");
    /** The classes that start the operator and talk to the API server; each must have run here. */
    private static final List<String> CLUSTER_TESTS = List.of(
            "GoProxyCacheReconcilerTest",
            "ProductionSettingsTest",
            "OperatorMetricsTest",
            "CommittedCrdTest",
            "WebhookOverHttpsTest");

    /** The operator SDK applies as its controller's name; OperatorIT's production operator shows it too. */
    private static final String OPERATOR_FIELD_MANAGER = "goproxycache";

    @Test
    void everyOperatorTestPassesAgainstTheRealApiServerAndNoneIsSkipped() throws Exception {
        ControlPlane cluster = ControlPlane.shared();
        deleteReports();

        String run = runId();
        int exit;
        Set<String> deploymentWriters;
        try (DeploymentWriters writers = new DeploymentWriters(cluster.admin(), run)) {
            exit = runOperatorTests(cluster.kubeconfig(), run);
            deploymentWriters = writers.seen();
        }

        List<Suite> suites = reports();
        String summary = summary(suites) + "\nlog: " + LOG;
        assertThat(exit)
                .as("nested Maven run of the operator's tests; %s%n%s", summary, tailOfLog())
                .isZero();
        assertThat(suites).as("surefire reports in %s", REPORTS).isNotEmpty();
        for (String test : CLUSTER_TESTS) {
            assertThat(suites)
                    .as("%s ran: %s", test, summary)
                    .anySatisfy(s -> assertThat(s.name()).endsWith("." + test));
        }
        assertThat(suites).as(summary).allSatisfy(s -> {
            assertThat(s.failures()).as("failures in %s", s.name()).isZero();
            assertThat(s.errors()).as("errors in %s", s.name()).isZero();
            assertThat(s.skipped()).as("skipped in %s", s.name()).isZero();
        });
        // they ran against this API server: their ClusterUnderTest applied the CRD here under its own field manager
        CustomResourceDefinition crd = cluster.admin()
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("goproxycaches.modproxy.dev")
                .get();
        assertThat(crd.getMetadata().getManagedFields())
                .extracting(f -> f.getManager())
                .contains("modproxy-operator-tests");
        // their operator applied server-side, as the production one does: the API server recorded the Deployments it
        // made as applied by its field manager (without server-side apply they show only Updates, by the client's name)
        assertThat(deploymentWriters)
                .as("field managers of the Deployments in the namespaces of test run %s", run)
                .contains(OPERATOR_FIELD_MANAGER + " Apply");
    }

    /** Five base-36 characters, as the operator tests' own TestRun makes them; they take it from modproxy.test.run. */
    private static String runId() {
        return Long.toString(36L * 36 * 36 * 36 + ThreadLocalRandom.current().nextLong(35L * 36 * 36 * 36 * 36), 36);
    }

    /**
     * Who wrote the Deployments in the namespaces of one test run, and how ("manager operation"), as the API
     * server records it in their managed fields; watched while the tests run, since they delete their namespaces.
     */
    private static final class DeploymentWriters implements AutoCloseable {

        private final KubernetesClient client;
        private final String run;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();
        private final Map<String, Boolean> namespacesOfRun = new ConcurrentHashMap<>();
        private final SharedIndexInformer<Deployment> informer;

        DeploymentWriters(KubernetesClient client, String run) {
            this.client = client;
            this.run = run;
            this.informer = client.apps()
                    .deployments()
                    .inAnyNamespace()
                    .withLabel("app.kubernetes.io/managed-by", "modproxy-operator")
                    .inform(new ResourceEventHandler<>() {
                        @Override
                        public void onAdd(Deployment deployment) {
                            record(deployment);
                        }

                        @Override
                        public void onUpdate(Deployment before, Deployment deployment) {
                            record(deployment);
                        }

                        @Override
                        public void onDelete(Deployment deployment, boolean finalStateUnknown) {}
                    });
        }

        private void record(Deployment deployment) {
            if (namespacesOfRun.computeIfAbsent(deployment.getMetadata().getNamespace(), this::ofRun)) {
                deployment
                        .getMetadata()
                        .getManagedFields()
                        .forEach(f -> seen.add(f.getManager() + " " + f.getOperation()));
            }
        }

        private boolean ofRun(String namespace) {
            Namespace ns = client.namespaces().withName(namespace).get();
            return ns != null
                    && ns.getMetadata().getLabels() != null
                    && run.equals(ns.getMetadata().getLabels().get("modproxy.dev/test-run"));
        }

        Set<String> seen() {
            return Set.copyOf(seen);
        }

        @Override
        public void close() {
            informer.close();
        }
    }

    /** {@code mvnw -pl operator -am test} with MODPROXY_TEST_CLUSTER naming this cluster's kubeconfig. */
    private static int runOperatorTests(Path kubeconfig, String run) throws IOException, InterruptedException {
        // offline, from the local repository of the build running this test, which resolved all of it already
        List<String> command = new ArrayList<>(List.of(
                Repository.root().resolve("mvnw").toString(),
                "-B",
                "-o",
                "-pl",
                "operator",
                "-am",
                "test",
                "-Dsurefire.failIfNoSpecifiedTests=false",
                "-Dmodproxy.test.run=" + run));
        String repository = System.getProperty("modproxy.e2e.maven-repository");
        if (repository != null && !repository.isBlank()) {
            command.add("-Dmaven.repo.local=" + repository);
        }
        Files.createDirectories(LOG.getParent());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(Repository.root().toFile())
                .redirectErrorStream(true)
                .redirectOutput(LOG.toFile());
        builder.environment().put(ControlPlane.SWITCH, kubeconfig.toString());
        Process maven = builder.start();
        if (!maven.waitFor(30, TimeUnit.MINUTES)) {
            maven.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new IllegalStateException("the operator's tests did not finish within 30 minutes; log: " + LOG);
        }
        return maven.exitValue();
    }

    record Suite(String name, int tests, int failures, int errors, int skipped) {}

    private static List<Suite> reports() throws Exception {
        if (!Files.isDirectory(REPORTS)) {
            return List.of();
        }
        List<Suite> suites = new ArrayList<>();
        try (Stream<Path> files = Files.list(REPORTS)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("TEST-.*\\.xml"))
                    .sorted()
                    .toList()) {
                Element suite = DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(file.toFile())
                        .getDocumentElement();
                suites.add(new Suite(
                        suite.getAttribute("name"),
                        count(suite, "tests"),
                        count(suite, "failures"),
                        count(suite, "errors"),
                        count(suite, "skipped")));
            }
        }
        return suites;
    }

    private static int count(Element suite, String attribute) {
        String value = suite.getAttribute(attribute);
        return value.isEmpty() ? 0 : Integer.parseInt(value);
    }

    private static String summary(List<Suite> suites) {
        return String.format(
                "%d classes, %d tests, %d failures, %d errors, %d skipped",
                suites.size(),
                suites.stream().mapToInt(Suite::tests).sum(),
                suites.stream().mapToInt(Suite::failures).sum(),
                suites.stream().mapToInt(Suite::errors).sum(),
                suites.stream().mapToInt(Suite::skipped).sum());
    }

    private static void deleteReports() throws IOException {
        if (!Files.isDirectory(REPORTS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(REPORTS)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static String tailOfLog() {
        try {
            List<String> lines = Files.readAllLines(LOG);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
