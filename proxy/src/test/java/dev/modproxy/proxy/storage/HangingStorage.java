package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A storage that can be made to hang as a bucket that accepts connections and never answers does: while hung,
 * each lookup, upload (commit), deletion and write probe waits for the given timeout (the S3 client's) and
 * then fails. A call still waiting when the storage recovers goes through. It can also refuse every upload at
 * once, as a bucket answers credentials that may only read.
 */
final class HangingStorage extends ForwardingStorage {

    private record Hang(CountDownLatch released, Duration timeout) {}

    private volatile Hang hung;
    /** Uploads answered at once with a refusal, as a bucket does to credentials that may only read. */
    private volatile boolean refusingUploads;
    /** Calls that reached this storage: lookups, commits, deletions and probes. */
    final AtomicInteger calls = new AtomicInteger();
    /** Calls waiting on the hung storage now. */
    final AtomicInteger waiting = new AtomicInteger();

    HangingStorage(Storage storage) {
        super(storage);
    }

    /** @param timeout how long each call waits before it fails; zero fails it at once */
    void hang(Duration timeout) {
        hung = new Hang(new CountDownLatch(1), timeout);
    }

    void refuseUploads() {
        refusingUploads = true;
    }

    void recover() {
        Hang was = hung;
        hung = null;
        if (was != null) {
            was.released().countDown();
        }
    }

    private void await() throws IOException {
        calls.incrementAndGet();
        Hang now = hung;
        if (now == null) {
            return;
        }
        waiting.incrementAndGet();
        try {
            if (!now.released().await(now.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("timed out after " + now.timeout().toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            waiting.decrementAndGet();
        }
    }

    @Override
    public Optional<StoredObject> lookup(StorageKey key) throws IOException {
        await();
        return delegate.lookup(key);
    }

    @Override
    public StorageWriter openWriter(StorageKey key) throws IOException {
        StorageWriter staged = delegate.openWriter(key);
        return new ForwardingStorageWriter(staged) {
            @Override
            public StoredObject commit() throws IOException {
                await();
                if (refusingUploads) {
                    throw new StorageRefusedException("cannot upload " + key + ": Access Denied (403)", null);
                }
                return staged.commit();
            }
        };
    }

    @Override
    public boolean delete(StorageKey key) throws IOException {
        await();
        return delegate.delete(key);
    }

    @Override
    public void probeWritable() throws IOException {
        await();
        delegate.probeWritable();
    }
}
