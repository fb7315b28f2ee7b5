package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Keeps the newest tree head the verifier verified in storage, so that a restarted proxy continues from it
 * ({@link ChecksumDatabase}): every tree it sees after the restart must then be proven an extension of it, and a
 * database that rolled its log back or forked it below that tree is refused ({@link SumDbVerifier#verifiedTree}).
 *
 * <p>The verifier hands each newer tree over under its lock; the write happens here, on one background thread,
 * because a write under the lock made every proof that saw a newer tree wait for it (a cold build with the bucket
 * 100 ms away queued its proofs behind a hundred PUTs). The writer writes the newest tree handed over when it gets to
 * it: a tree still waiting is replaced by a newer one, not written first, and as there is one write at a time, each
 * a newer tree than the last, an older tree never lands over a newer one this proxy wrote.
 *
 * <p>A crash after a tree is verified and before it is written leaves an older tree (or none) stored. The restarted
 * proxy is still safe: the stored tree is a floor, not a record of what was verified; the proxy verifies from that
 * floor again, and every tree it sees must still be proven consistent with it. What the crash loses is the height of
 * the floor (the trees verified during the last write): a fork that branches off between the stored tree and the lost
 * one is not refused by the restarted proxy, though the go commands that saw the lost tree through it keep their own
 * and refuse the fork. A failed write loses the same, as it did when the write was under the lock.
 */
final class VerifiedTreeWriter implements SumDbVerifier.LatestTreeListener, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(VerifiedTreeWriter.class);

    /** How long {@link #close} waits for the last write: a bucket's request timeout, not a disk's. */
    private static final Duration LAST_WRITE = Duration.ofSeconds(30);

    private final Storage storage;
    private final StorageKey key;
    private final ThreadPoolExecutor writer;
    /** The newest tree handed over: waiting, being written or written. */
    private TreeHead newest;
    /** The newest tree's signed note until the writer takes it; null once taken. */
    private byte[] waiting;
    /** Whether a write task is queued or running: it writes whatever is waiting until nothing is. */
    private boolean writing;

    VerifiedTreeWriter(Storage storage, StorageKey key) {
        this.storage = storage;
        this.key = key;
        writer = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "modproxy-sumdb-tree-writer");
            t.setDaemon(true);
            return t;
        });
        writer.allowCoreThreadTimeOut(true);
    }

    /** Takes the tree to write; called under the verifier's lock, so it never waits for storage. */
    @Override
    public void latestTreeVerified(TreeHead tree, byte[] signedNote) {
        synchronized (this) {
            if (newest != null && newest.size() >= tree.size()) {
                return; // the verifier hands over only newer trees; whatever the caller, never go back
            }
            newest = tree;
            waiting = signedNote;
            if (writing) {
                return; // the running write task takes it next
            }
            writing = true;
        }
        try {
            writer.execute(this::writeUntilNoneWaits);
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                writing = false;
            }
            LOG.debugf("not keeping %s in %s: the checksum database is closed", tree, key);
        }
    }

    private void writeUntilNoneWaits() {
        while (true) {
            byte[] note;
            synchronized (this) {
                note = waiting;
                waiting = null;
                if (note == null) {
                    writing = false;
                    return;
                }
            }
            write(note);
        }
    }

    private void write(byte[] signedNote) {
        try (StorageWriter out = storage.openWriter(key)) {
            out.output().write(signedNote);
            out.commit().release();
        } catch (IOException | RuntimeException e) {
            // the next newer tree is written in its place; until then a restart continues from the one stored before
            LOG.warnf("cannot keep the verified tree head in %s: %s", key, e.getMessage());
        }
    }

    /** Writes the tree still waiting, if any, and waits for the write (the newest tree outlives a clean stop). */
    @Override
    public void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(LAST_WRITE.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warnf("the verified tree head was not written to %s within %s", key, LAST_WRITE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
