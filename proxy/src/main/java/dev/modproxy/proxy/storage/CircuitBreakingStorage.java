package dev.modproxy.proxy.storage;

import dev.modproxy.proxy.resilience.Circuit;
import dev.modproxy.proxy.resilience.CircuitState;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Stops calling a storage that keeps failing. A hung bucket costs every call its whole timeout (a miss pays
 * for its lookups and then its upload), so after {@link #FAILURES_TO_OPEN} calls in a row fail, lookups,
 * uploads, deletions and the write probe are refused at once with {@link Skipped} for {@link #COOL_DOWN}:
 * {@link PassThroughStorage} answers a refused lookup as a miss and serves the module from the upstream
 * without caching it. After the cool-down one call goes through as a trial (half-open): its success
 * closes the circuit, its failure opens it for another cool-down ({@link Circuit}).
 *
 * <p>Opening a writer stages bytes locally and proves nothing about the storage; it is refused while
 * the circuit is open, and its commit (the upload) is the call that counts. A call that fails on this
 * machine's own staging directory ({@link LocalStagingException}: the write probe on a read-only or full
 * local volume) counts neither way: it used to open the circuit, and the bucket's hits went to the upstream.
 */
public final class CircuitBreakingStorage extends ForwardingStorage {

    private static final Logger LOG = Logger.getLogger(CircuitBreakingStorage.class);

    /**
     * A miss makes two calls (its lookup, then the upload), so a hung bucket opens the circuit within the first
     * miss, which waits as long as before, and no later one waits. More would make more clients each wait up to a
     * call's timeout (25 s on S3); fewer would let one object's failure (a read cut short) skip the bucket for
     * everyone. A call that succeeds in between resets the count, and a call the bucket answered with a refusal
     * ({@link StorageRefusedException}: access denied, no such bucket) counts as an answer, so a bucket that
     * refuses only uploads (read-only credentials) still serves its hits.
     */
    static final int FAILURES_TO_OPEN = 2;

    /**
     * As an upstream's default (MODPROXY_BREAKER_COOL_DOWN): a bucket that is back is used again within half a
     * minute, and one that is still hung costs one request (the trial) one call's timeout per cool-down.
     */
    static final Duration COOL_DOWN = Duration.ofSeconds(30);

    /** A call that was not made because the circuit is open: the storage is neither asked nor blamed. */
    public static final class Skipped extends IOException {
        Skipped(String message) {
            super(message);
        }
    }

    private final Runnable onSkip;
    private final Circuit circuit;
    private int failuresInARow;
    private long skippedWhileOpen;

    /**
     * @param onSkip told once per call refused while the circuit is open, e.g. to count it
     * @param clock when the cool-down ends
     */
    public CircuitBreakingStorage(Storage storage, Runnable onSkip, Clock clock) {
        super(storage);
        this.onSkip = onSkip;
        this.circuit = new Circuit(COOL_DOWN, () -> TimeUnit.MILLISECONDS.toNanos(clock.millis()));
    }

    public CircuitState state() {
        return circuit.state();
    }

    @Override
    public Optional<StoredObject> lookup(StorageKey key) throws IOException {
        return call("look up " + key, () -> delegate.lookup(key));
    }

    @Override
    public StorageWriter openWriter(StorageKey key) throws IOException {
        refuseWhileOpen("store " + key);
        return new Writer(key, delegate.openWriter(key));
    }

    @Override
    public boolean delete(StorageKey key) throws IOException {
        return call("delete " + key, () -> delegate.delete(key));
    }

    /** Refused while open, so that the readiness check answers at once (from the pass-through directory). */
    @Override
    public void probeWritable() throws IOException {
        call("probe", () -> {
            delegate.probeWritable();
            return null;
        });
    }

    @FunctionalInterface
    private interface StorageCall<T> {
        T run() throws IOException;
    }

    private <T> T call(String what, StorageCall<T> call) throws IOException {
        acquire(what);
        T result;
        try {
            result = call.run();
        } catch (StorageRefusedException | UnusableEntryException e) {
            succeeded(); // it answered (an object it holds may be damaged): up, whatever it thought of this call
            throw e;
        } catch (LocalStagingException | ProbeTimeoutException e) {
            // this machine's disk failed, not the storage, or the readiness probe ran out of its short bound (a slow
            // bucket may too): a trial proves nothing either way
            circuit.abandoned();
            throw e;
        } catch (Throwable e) {
            failed(e);
            throw e;
        }
        succeeded();
        return result;
    }

    /** Lets a call through while closed, and one trial once the cool-down is over; refuses every other. */
    private void acquire(String what) throws Skipped {
        if (!circuit.tryAcquire()) {
            throw skip(what);
        }
    }

    /** Refuses while the circuit is open; takes no trial, as the call it guards does not reach the storage. */
    private void refuseWhileOpen(String what) throws Skipped {
        if (!circuit.admitsWithoutTrial()) {
            throw skip(what);
        }
    }

    private Skipped skip(String what) {
        synchronized (this) {
            skippedWhileOpen++;
        }
        onSkip.run();
        return new Skipped("skipped: cannot " + what + " now, " + delegate.describe() + " failed " + FAILURES_TO_OPEN
                + " calls in a row (circuit open)");
    }

    private void succeeded() {
        long skipped;
        synchronized (this) {
            failuresInARow = 0;
            if (circuit.succeeded() == CircuitState.CLOSED) {
                return;
            }
            skipped = skippedWhileOpen;
            skippedWhileOpen = 0;
        }
        LOG.infof(
                "storage %s answers again: circuit closed, using it again (%d call%s skipped while it was open)",
                delegate.describe(), skipped, skipped == 1 ? "" : "s");
    }

    private void failed(Throwable cause) {
        synchronized (this) {
            // the count is reset only as the circuit closes, so it reaches FAILURES_TO_OPEN once, while closed: the
            // later failures of the same run (calls out when it opened) do not start the cool-down again
            boolean opens = ++failuresInARow == FAILURES_TO_OPEN;
            if (circuit.failed(opens) == CircuitState.HALF_OPEN) {
                LOG.debugf(
                        "storage %s still fails (%s): skipped for another %d s",
                        delegate.describe(), firstLine(cause), COOL_DOWN.toSeconds());
                return;
            }
            if (!opens) {
                return;
            }
        }
        LOG.warnf(
                "storage %s failed %d calls in a row (the last: %s): circuit open, not calling it for %d s; lookups"
                        + " are misses and modules are served from the upstream without caching",
                delegate.describe(), FAILURES_TO_OPEN, firstLine(cause), COOL_DOWN.toSeconds());
    }

    private static String firstLine(Throwable e) {
        String message = String.valueOf(e.getMessage());
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }

    /** Stages as the storage's own writer does; its commit (the upload) is a call like a lookup. */
    private final class Writer extends ForwardingStorageWriter {
        private final StorageKey key;

        Writer(StorageKey key, StorageWriter target) {
            super(target);
            this.key = key;
        }

        @Override
        public StoredObject commit() throws IOException {
            return call("store " + key, delegate::commit);
        }
    }
}
