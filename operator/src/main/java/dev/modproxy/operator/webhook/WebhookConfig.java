package dev.modproxy.operator.webhook;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Settings of the admission webhook (keys {@code modproxy.webhook.*}, env {@code MODPROXY_WEBHOOK_*}). */
@ConfigMapping(prefix = "modproxy.webhook")
public interface WebhookConfig {

    enum CertMode {
        OPERATOR,
        CERT_MANAGER
    }

    @WithDefault("true")
    boolean enabled();

    /** HTTPS port of /mutate-pods; 0 picks a free one (tests). */
    @WithDefault("8443")
    int port();

    /** operator: self-managed CA and certificate; cert-manager: mounted files, caBundle injected by cert-manager. */
    @WithDefault("operator")
    CertMode certMode();

    /** Secret holding tls.crt, tls.key, ca.crt (and ca.key in operator mode), in the operator's namespace. */
    @WithDefault("modproxy-webhook-tls")
    String secret();

    /** MutatingWebhookConfiguration whose caBundle the operator keeps current. */
    @WithDefault("modproxy")
    String config();

    /** Service in front of the webhook; its DNS names go into the serving certificate. */
    @WithDefault("modproxy-webhook")
    String service();

    /**
     * More names for the serving certificate (operator mode), host names or IP addresses: the host of
     * a clientConfig.url registration, e.g. 127.0.0.1 for an operator run beside the cluster.
     */
    Optional<List<String>> extraNames();

    /** The operator's own namespace: its pods are never mutated and its Secret lives there. */
    Optional<String> operatorNamespace();

    /** cert-manager mode: where the Secret is mounted. */
    @WithDefault("/etc/modproxy/webhook-tls")
    Path certDir();

    /** How often the certificate is checked (operator mode) or re-read (cert-manager mode). */
    @WithDefault("1h")
    Duration certCheckInterval();

    /**
     * How long a connection may carry nothing before the webhook closes it. Longer than the API server keeps an idle
     * connection to a webhook (90 s), so it is the API server that closes its own; a client that opens connections
     * and sends nothing gives them up.
     */
    @WithDefault("2m")
    Duration idleTimeout();

    /** Delay before retrying a failed certificate check. */
    @WithDefault("15s")
    Duration certRetryInterval();

    /**
     * Reviews of a made-up pod the webhook answers itself over new HTTPS connections once it listens, before the
     * operator is Ready, so that the first pods after a start do not wait while the JIT compiles the review path and
     * the TLS handshake ({@link WebhookWarmup}); 0 turns the warm-up off.
     */
    @WithDefault("300")
    int warmupReviews();

    /** The longest the warm-up may hold readiness back: it stops there, however many reviews are left. */
    @WithDefault("5s")
    Duration warmupTimeLimit();

    /** Namespaces whose GoProxyCaches the webhook sees; empty means all (as the reconciler). */
    Optional<List<String>> watchedNamespaces();
}
