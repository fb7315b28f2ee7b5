package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * A writer that hands every call to another: storage layers ({@link ForwardingStorage}) override only what they add,
 * usually the commit.
 */
public class ForwardingStorageWriter implements StorageWriter {

    protected final StorageWriter delegate;

    public ForwardingStorageWriter(StorageWriter delegate) {
        this.delegate = delegate;
    }

    @Override
    public OutputStream output() {
        return delegate.output();
    }

    @Override
    public Path stagedFile() {
        return delegate.stagedFile();
    }

    @Override
    public StoredObject commit() throws IOException {
        return delegate.commit();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
