package dev.modproxy.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * The operator as shipped: {@code java -jar operator/target/quarkus-app/quarkus-run.jar} in the
 * production profile (server-side apply and leader election on), out of the cluster, talking to the
 * API server with a ServiceAccount token only, so the API server enforces the chart's RBAC on every
 * call. Its webhook is served on 127.0.0.1 with a certificate naming that address (an IP SAN).
 */
public final class OperatorProcess implements AutoCloseable {

    private static final Pattern RBAC_DENIAL = Pattern.compile("cannot [a-z]+ resource \"");

    private final String name;
    private final Process process;
    private final int httpPort;
    private final int webhookPort;
    private final Path log;

    private OperatorProcess(String name, Process process, int httpPort, int webhookPort, Path log) {
        this.name = name;
        this.process = process;
        this.httpPort = httpPort;
        this.webhookPort = webhookPort;
        this.log = log;
    }

    /** Starts an operator identified by {@code token} whose own namespace is {@code namespace}. */
    public static OperatorProcess start(
            String name, ControlPlane cluster, String namespace, String token, Map<String, String> extraEnv) {
        Path dir = Repository.root().resolve("e2e/target/operators");
        try {
            Files.createDirectories(dir);
            Path ca = dir.resolve("cluster-ca.crt");
            Files.writeString(ca, cluster.caCertificate());
            int httpPort = freePort();
            int webhookPort = extraEnv.containsKey("MODPROXY_WEBHOOK_PORT")
                    ? Integer.parseInt(extraEnv.get("MODPROXY_WEBHOOK_PORT"))
                    : freePort();
            Map<String, String> env = new LinkedHashMap<>();
            env.put(
                    "KUBECONFIG",
                    dir.resolve("no-kubeconfig").toString()); // only the token below, never an admin kubeconfig
            env.put("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", cluster.apiServerUrl());
            env.put("QUARKUS_KUBERNETES_CLIENT_TOKEN", token);
            env.put("QUARKUS_KUBERNETES_CLIENT_CA_CERT_FILE", ca.toString());
            env.put("QUARKUS_KUBERNETES_CLIENT_NAMESPACE", namespace);
            env.put("MODPROXY_OPERATOR_NAMESPACE", namespace);
            env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
            env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
            env.put("MODPROXY_WEBHOOK_PORT", Integer.toString(webhookPort));
            // the API server calls https://127.0.0.1:<port>/mutate-pods: that address must be in the certificate
            env.put("MODPROXY_WEBHOOK_EXTRA_NAMES", "127.0.0.1");
            env.put("MODPROXY_OPERATOR_PROXY_IMAGE", "modproxy/proxy:e2e");
            // a pod's name in a cluster; leader election tells the replicas apart by it
            env.put("HOSTNAME", name);
            env.putAll(extraEnv);
            Path log = dir.resolve(name + ".log");
            String java = ProcessHandle.current().info().command().orElse("java");
            ProcessBuilder builder = new ProcessBuilder(
                            java, "-Xmx384m", "-jar", Repository.operatorJar().toString())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().putAll(env);
            OperatorProcess operator = new OperatorProcess(name, builder.start(), httpPort, webhookPort, log);
            operator.awaitLive();
            return operator;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the operator " + name, e);
        }
    }

    private void awaitLive() {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Awaitility.await("operator " + name + " live (log: " + log + ")")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(
                                "operator " + name + " exited with " + process.exitValue() + ":\n" + tailOfLog());
                    }
                    try {
                        return http.send(
                                                HttpRequest.newBuilder(URI.create(
                                                                "http://127.0.0.1:" + httpPort + "/q/health/live"))
                                                        .timeout(Duration.ofSeconds(2))
                                                        .build(),
                                                HttpResponse.BodyHandlers.discarding())
                                        .statusCode()
                                == 200;
                    } catch (IOException notYet) {
                        return false;
                    }
                });
    }

    public String name() {
        return name;
    }

    /** The sum of a Prometheus counter over all its label sets, from /q/metrics. */
    public double counter(String metric) {
        return metricLines(metric)
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    private java.util.stream.Stream<String> metricLines(String metric) {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            String body = http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/metrics"))
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            return body.lines().filter(line -> line.startsWith(metric + "{") || line.startsWith(metric + " "));
        } catch (IOException e) {
            throw new UncheckedIOException("metrics of operator " + name + " unreadable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A Prometheus counter summed over the label sets that name {@code namespace}, from /q/metrics. */
    public double counter(String metric, String namespace) {
        String label = "namespace=\"" + namespace + "\"";
        return metricLines(metric)
                .filter(line -> line.contains(label))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    public int webhookPort() {
        return webhookPort;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public String tailOfLog() {
        try {
            var lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /**
     * The lines of its log where the API server's authorizer refused it ({@code ... is forbidden: User
     * "system:serviceaccount:..." cannot create resource "events" ...}): a permission the chart does not grant. A
     * quota or a terminating namespace refuses with other words.
     */
    public List<String> rbacDenials() {
        try (var lines = Files.lines(log)) {
            return lines.filter(line -> RBAC_DENIAL.matcher(line).find()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines of its log that contain {@code text}. */
    public List<String> linesContaining(String text) {
        try (var lines = Files.lines(log)) {
            return lines.filter(line -> line.contains(text)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines of its log at WARN or ERROR. */
    public List<String> warningsAndErrors() {
        try (var lines = Files.lines(log)) {
            return lines.filter(line -> line.contains(" WARN ") || line.contains(" ERROR "))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGTERM, as the kubelet stops a pod in a rolling update; returns at once (see {@link #awaitExit}). */
    public void terminate() {
        process.destroy();
    }

    /** True when the process ended by itself within {@code timeout}. */
    public boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Like a node dying: no shutdown hooks, the Lease is not released. */
    public void kill() {
        process.destroyForcibly();
        waitForExit();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            waitForExit();
        }
    }

    private void waitForExit() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
