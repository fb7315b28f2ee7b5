package dev.modproxy.proxy.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged cache server (`java -jar quarkus-run.jar`) running as a separate process, the way a
 * user runs it, configured only through its documented environment variables.
 */
final class ProxyProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path log;

    private ProxyProcess(Process process, int port, int managementPort, Path log) {
        // Even if the test JVM is torn down early, no proxy process outlives it.
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
    }

    /** The jar built by `package`; failsafe passes its path as the system property `modproxy.jar`. */
    static Path jar() {
        String property = System.getProperty("modproxy.jar");
        if (property == null) {
            throw new IllegalStateException("system property modproxy.jar is not set: run the end-to-end tests with"
                    + " ./mvnw -pl proxy verify, which packages the jar first");
        }
        Path jar = Path.of(property);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    "the packaged proxy is missing at " + jar + ": run ./mvnw -pl proxy package");
        }
        return jar;
    }

    /** Starts the proxy on a free loopback port and waits until it reports ready. */
    static ProxyProcess start(String upstream, Path storage, Path log) throws IOException {
        // The generated modules are in no public checksum database and this machine has no
        // internet: verification against one is covered by the sumdb tests with Go's own server.
        return start(upstream, storage, log, Map.of("MODPROXY_SUMDB", "off"));
    }

    /** Starts the proxy with more of its documented settings (environment variables). */
    static ProxyProcess start(String upstream, Path storage, Path log, Map<String, String> settings)
            throws IOException {
        return start(upstream, storage, log, List.of("-Xmx512m"), settings);
    }

    /** With these JVM options instead of the default heap, and these MODPROXY_ settings. */
    static ProxyProcess start(
            String upstream, Path storage, Path log, List<String> jvmOptions, Map<String, String> settings)
            throws IOException {
        // The free port can be taken by another build between probe and bind: then try another one.
        for (int attempt = 1; ; attempt++) {
            ProxyProcess proxy = launch(upstream, storage, log, jvmOptions, settings);
            try {
                proxy.awaitReady();
                return proxy;
            } catch (Throwable e) {
                proxy.close();
                String tail = proxy.logTail();
                boolean portTaken = tail.contains("Port already bound") || tail.contains("Address already in use");
                if (!portTaken || attempt == 3) {
                    throw new AssertionError("proxy did not become ready; its log:\n" + proxy.logTail(), e);
                }
            }
        }
    }

    /**
     * Starts the proxy with settings it is expected to refuse and waits for it to exit; its output is in {@code log}.
     * The upstream is a closed port: a start that is not refused fetches nothing.
     */
    static int exitStatusOfRefusedStart(Path storage, Path log, Map<String, String> settings)
            throws IOException, InterruptedException {
        ProxyProcess proxy = launch("http://127.0.0.1:1", storage, log, List.of("-Xmx128m"), settings);
        try {
            if (!proxy.process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError(
                        "the proxy started instead of refusing " + settings + "; its log:\n" + proxy.logTail());
            }
            return proxy.process.exitValue();
        } finally {
            proxy.close();
        }
    }

    private static ProxyProcess launch(
            String upstream, Path storage, Path log, List<String> jvmOptions, Map<String, String> settings)
            throws IOException {
        int port = freePort();
        int managementPort = freePort();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new java.util.ArrayList<>(List.of(java.toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar().toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        // Only what the test sets configures the proxy, whatever the shell running the build exports.
        env.keySet().removeIf(name -> name.startsWith("MODPROXY_") || name.startsWith("QUARKUS_"));
        env.put("MODPROXY_UPSTREAM", upstream);
        env.put("MODPROXY_STORAGE_DIR", storage.toString());
        env.putAll(settings);
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        return new ProxyProcess(builder.start(), port, managementPort, log);
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The serving port, for clients that send what an HTTP client library would not. */
    int port() {
        return port;
    }

    URI uri(String urlPath) {
        return URI.create(url() + urlPath);
    }

    /** On the management port: /admin/*, /q/health, /q/metrics. */
    URI managementUri(String urlPath) {
        return URI.create("http://127.0.0.1:" + managementPort + urlPath);
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no flush, exactly like an OOM kill or a node losing power. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** The lines of the proxy's output logged at WARN or ERROR. */
    List<String> warningsAndErrors() throws IOException {
        return Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .filter(line -> line.contains(" WARN ") || line.contains(" ERROR "))
                .toList();
    }

    /** The last lines of the proxy's output, for failure messages. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private void awaitReady() {
        HttpRequest ready = HttpRequest.newBuilder(managementUri("/q/health/ready"))
                .timeout(Duration.ofSeconds(5))
                .build();
        await("proxy readiness at " + url())
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptionsInstanceOf(IOException.class)
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("proxy exited with status " + process.exitValue());
                    }
                    return HttpFetch.client()
                                    .send(ready, HttpResponse.BodyHandlers.discarding())
                                    .statusCode()
                            == 200;
                });
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
