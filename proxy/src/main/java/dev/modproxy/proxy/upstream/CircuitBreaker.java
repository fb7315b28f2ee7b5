package dev.modproxy.proxy.upstream;

import dev.modproxy.contract.Redacted;
import dev.modproxy.proxy.resilience.Circuit;
import dev.modproxy.proxy.resilience.CircuitState;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Skips an upstream after {@code threshold} consecutive failures on as many distinct modules; after
 * {@code coolDown} one trial request is let through (half-open) and its outcome closes or re-opens
 * the breaker ({@link Circuit}). Distinct modules: one module the upstream cannot serve in time (a large repository
 * fetched for the first time, a dead VCS host behind it) fails on every path a build and the
 * prefetcher ask of it (its list, {@code @latest}, each version's files, the checksum database's
 * lookups of it) and says nothing about the upstream; it must not make the upstream skipped for
 * everyone. Opening and closing are logged, once each: the per-request warnings of an outage say what failed, not
 * that the upstream is now skipped, nor when it is used again.
 */
public final class CircuitBreaker {

    private static final Logger LOG = Logger.getLogger(CircuitBreaker.class);

    /** What is guarded, as the log shows it: "upstream" or "checksum database" and its URL without a login or query. */
    private final String guarded;
    /** What the cache does while the circuit is open, for the log line that says it opened. */
    private final String whileOpen;

    private final int threshold;
    private final Duration coolDown;
    private final Circuit circuit;
    private final Set<String> failingModules = new HashSet<>();
    private long anonymousFailures;

    /** @param upstream the GOPROXY upstream asked through this breaker */
    public CircuitBreaker(URI upstream, int threshold, Duration coolDown) {
        this(upstream, threshold, coolDown, System::nanoTime);
    }

    CircuitBreaker(URI upstream, int threshold, Duration coolDown, LongSupplier nanoTime) {
        this(
                "upstream " + Redacted.url(upstream.toString()),
                "cached modules are still served, others get a 502 or the next upstream of the list",
                threshold,
                coolDown,
                nanoTime);
    }

    /** A breaker for the checksum database at database, which has no next one to turn to. */
    public static CircuitBreaker forChecksumDatabase(URI database, int threshold, Duration coolDown) {
        return forChecksumDatabase(database, threshold, coolDown, System::nanoTime);
    }

    static CircuitBreaker forChecksumDatabase(URI database, int threshold, Duration coolDown, LongSupplier nanoTime) {
        return new CircuitBreaker(
                "checksum database " + Redacted.url(database.toString()),
                // the chain's upstreams are asked for the database's answers first: where one relays it, modules
                // go on being verified, and only where none does is the outage felt
                "cached modules are still served; a module not cached yet is still verified through an upstream"
                        + " that relays the database (its /sumdb/), and where none answers it is refused"
                        + " (MODPROXY_SUMDB_REQUIRED=true) or cached unverified and counted until the database answers",
                threshold,
                coolDown,
                nanoTime);
    }

    private CircuitBreaker(String guarded, String whileOpen, int threshold, Duration coolDown, LongSupplier nanoTime) {
        if (threshold < 1) {
            throw new IllegalArgumentException("circuit breaker threshold must be at least 1");
        }
        this.guarded = guarded;
        this.whileOpen = whileOpen;
        this.threshold = threshold;
        this.coolDown = coolDown;
        this.circuit = new Circuit(coolDown, nanoTime);
    }

    /** Whether a request may go out now; every permitted request must report success or failure. */
    public boolean tryAcquire() {
        return circuit.tryAcquire();
    }

    public synchronized void recordSuccess() {
        if (circuit.succeeded() != CircuitState.CLOSED) {
            LOG.infof("%s answers again: circuit closed, asking it again", guarded);
        }
        failingModules.clear();
    }

    /** A failure that says the upstream is down (refused or timed-out connection, 503), for a path of unknown name. */
    public synchronized void recordFailure() {
        recordFailure("\0" + anonymousFailures++);
    }

    /**
     * A failure that says the upstream is down, while asking it for path (counted as the module it names). Once as
     * many modules failed as the threshold, each failure (of a request out when it opened) starts the cool-down again.
     */
    public synchronized void recordFailure(String path) {
        String module = moduleOf(path);
        if (failingModules.size() < threshold) {
            failingModules.add(module);
        }
        if (circuit.failed(failingModules.size() >= threshold) == CircuitState.CLOSED
                && circuit.state() == CircuitState.OPEN) {
            LOG.warnf(
                    "%s failed on %d modules in a row (the last: %s): circuit open, not asking it for %d s; %s",
                    guarded,
                    threshold,
                    module.startsWith("\0") ? "a request" : module,
                    coolDown.toSeconds(),
                    whileOpen);
        }
    }

    /**
     * The module a path asks about: the part before {@code /@v/} or {@code /@latest} of a GOPROXY path, the part
     * before the version of a checksum database lookup ({@code sumdb/lookup/<module>@<version>}); any other path
     * (a tile, the tree head) stands for itself.
     */
    static String moduleOf(String path) {
        int files = path.indexOf("/@v/");
        if (files >= 0) {
            return path.substring(0, files);
        }
        if (path.endsWith("/@latest")) {
            return path.substring(0, path.length() - "/@latest".length());
        }
        int lookup = path.indexOf("lookup/");
        int version = path.lastIndexOf('@');
        if (lookup >= 0 && version > lookup) {
            return path.substring(0, version);
        }
        return path;
    }

    /** The request ended for a reason that says nothing about the upstream (e.g. local disk full). */
    public void recordNeither() {
        circuit.abandoned();
    }

    /** Whether a request would go out now without being the trial: closed, or open with its cool-down over. */
    public boolean admitsWithoutTrial() {
        return circuit.admitsWithoutTrial();
    }

    public CircuitState state() {
        return circuit.state();
    }
}
