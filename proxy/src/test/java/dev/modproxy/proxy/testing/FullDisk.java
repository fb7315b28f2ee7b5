package dev.modproxy.proxy.testing;

import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.ForwardingStorageWriter;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Wraps a storage whose writes fail like a full disk: after {@code room} bytes, or at commit (fsync). */
public final class FullDisk extends ForwardingStorage {

    public enum FailAt {
        WRITE,
        COMMIT
    }

    private final long room;
    private final FailAt failAt;

    public FullDisk(Storage storage, long room, FailAt failAt) {
        super(storage);
        this.room = room;
        this.failAt = failAt;
    }

    private static IOException noSpace() {
        return new IOException("No space left on device");
    }

    /** A disk with less room than a probe needs fails the probe, as a full one does. */
    @Override
    public void probeWritable() throws IOException {
        if (room < 64 * 1024) {
            throw new IOException("No space left on device");
        }
        super.probeWritable();
    }

    @Override
    public StorageWriter openWriter(StorageKey key) throws IOException {
        StorageWriter inner = delegate.openWriter(key);
        OutputStream limited = new FilterOutputStream(inner.output()) {
            long written;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (failAt == FailAt.WRITE && written + len > room) {
                    int fits = (int) Math.max(0, room - written);
                    out.write(b, off, fits); // a partial write, as the kernel does before ENOSPC
                    written += fits;
                    throw noSpace();
                }
                out.write(b, off, len);
                written += len;
            }
        };
        return new ForwardingStorageWriter(inner) {
            @Override
            public OutputStream output() {
                return limited;
            }

            @Override
            public StoredObject commit() throws IOException {
                if (failAt == FailAt.COMMIT) {
                    inner.output().flush();
                    throw noSpace();
                }
                return inner.commit();
            }
        };
    }

    /** Hits take the worker-thread path: what these tests exercise is the writes. */
    @Override
    public boolean lookupIsLocal() {
        return false;
    }

    @Override
    public String describe() {
        return "full " + delegate.describe();
    }
}
