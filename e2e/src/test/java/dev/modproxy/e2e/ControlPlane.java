package dev.modproxy.e2e;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The Kubernetes API server the suite runs against: the control plane of e2e/cluster/cluster.sh,
 * started once per test run (built on first use, then cached per machine) and stopped after the
 * last test, or the cluster of the kubeconfig named by {@code MODPROXY_TEST_CLUSTER}. Failing to
 * build or start it fails the tests: this suite never skips.
 */
public final class ControlPlane implements BeforeAllCallback, AutoCloseable {

    public static final String SWITCH = "MODPROXY_TEST_CLUSTER";

    private static volatile ControlPlane shared;

    private final Path kubeconfig;
    private final Path binaries;
    private final Path stateDir;
    private final boolean startedHere;
    private final KubernetesClient admin;

    private ControlPlane(Path kubeconfig, Path binaries, Path stateDir, boolean startedHere) {
        this.kubeconfig = kubeconfig;
        this.binaries = binaries;
        this.stateDir = stateDir;
        this.startedHere = startedHere;
        this.admin = kubeconfig == null
                ? null
                : new KubernetesClientBuilder().withConfig(configOf(kubeconfig)).build();
    }

    /** Public for JUnit's {@code @ExtendWith}; tests reach the cluster through {@link #shared()}. */
    public ControlPlane() {
        this(null, null, null, false);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot()
                .getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(ControlPlane.class, key -> start(), ControlPlane.class);
    }

    /** The running control plane; only valid in a class extended with this extension. */
    public static ControlPlane shared() {
        if (shared == null) {
            throw new IllegalStateException(
                    "no control plane: extend the test class with @ExtendWith(ControlPlane.class)");
        }
        return shared;
    }

    private static synchronized ControlPlane start() {
        if (shared != null) {
            return shared;
        }
        Path script = Repository.root().resolve("e2e/cluster/cluster.sh");
        String existing = System.getenv(SWITCH);
        Path binaries = Path.of(Commands.run(Map.of(), script.toString(), "bin").lastLine());
        if (existing != null && !existing.isBlank()) {
            shared = new ControlPlane(existingKubeconfig(existing), binaries, null, false);
            return shared;
        }
        Path stateDir = Repository.root().resolve("e2e/target/cluster");
        int portBase = freePortRange(6);
        Commands.run(
                Map.of(
                        "MODPROXY_CLUSTER_DIR",
                        stateDir.toString(),
                        "MODPROXY_CLUSTER_PORT_BASE",
                        Integer.toString(portBase)),
                script.toString(),
                "up");
        shared = new ControlPlane(stateDir.resolve("admin.kubeconfig"), binaries, stateDir, true);
        return shared;
    }

    /** A kubeconfig path, or "kubeconfig" (as the operator module's tests take it): $KUBECONFIG or ~/.kube/config. */
    private static Path existingKubeconfig(String value) {
        if (!"kubeconfig".equals(value)) {
            return Path.of(value);
        }
        String fromEnv = System.getenv("KUBECONFIG");
        return fromEnv != null && !fromEnv.isBlank()
                ? Path.of(fromEnv.split(java.io.File.pathSeparator)[0])
                : Path.of(System.getProperty("user.home"), ".kube", "config");
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        if (startedHere) {
            Commands.run(
                    Map.of("MODPROXY_CLUSTER_DIR", stateDir.toString()),
                    Repository.root().resolve("e2e/cluster/cluster.sh").toString(),
                    "down");
        }
        shared = null;
    }

    public KubernetesClient admin() {
        return admin;
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    public String apiServerUrl() {
        return admin.getConfiguration().getMasterUrl();
    }

    /** The PEM of the API server's CA, as a client of the cluster needs it. */
    public String caCertificate() {
        Config config = admin.getConfiguration();
        try {
            if (config.getCaCertData() != null) {
                return new String(java.util.Base64.getDecoder().decode(config.getCaCertData()));
            }
            return Files.readString(Path.of(config.getCaCertFile()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the API server's CA", e);
        }
    }

    /** kubectl of the control plane's release, as the cluster admin. */
    public Commands.Result kubectl(String... args) {
        return kubectlWithInput(null, args);
    }

    /** kubectl reading {@code stdin} (e.g. {@code apply -f -}). */
    public Commands.Result kubectlWithInput(String stdin, String... args) {
        List<String> command =
                new ArrayList<>(List.of(binaries.resolve("kubectl").toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return Commands.attempt(Map.of(), stdin, command.toArray(String[]::new));
    }

    /** Logs of the control plane's processes, for failure messages; empty for an external cluster. */
    public Path logs() {
        return stateDir == null ? null : stateDir.resolve("logs");
    }

    private static Config configOf(Path kubeconfig) {
        try {
            return Config.fromKubeconfig(Files.readString(kubeconfig));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read kubeconfig " + kubeconfig, e);
        }
    }

    /** A base port with {@code count} free ports after it on 127.0.0.1. */
    private static int freePortRange(int count) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20000, 30000);
            if (allFree(base, count)) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free ports found on 127.0.0.1");
    }

    private static boolean allFree(int base, int count) {
        for (int port = base; port < base + count; port++) {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
            } catch (IOException taken) {
                return false;
            }
        }
        return true;
    }
}
