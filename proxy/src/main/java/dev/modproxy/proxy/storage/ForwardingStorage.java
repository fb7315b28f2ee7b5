package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A storage that adds one behaviour to another and passes everything else through: subclasses
 * override what they change, so a new {@link Storage} method is forwarded in one place. Closing it
 * closes the storage it wraps (a bucket's client).
 */
public abstract class ForwardingStorage implements Storage, AutoCloseable {

    protected final Storage delegate;

    protected ForwardingStorage(Storage delegate) {
        this.delegate = delegate;
    }

    @Override
    public Optional<StoredObject> lookup(StorageKey key) throws IOException {
        return delegate.lookup(key);
    }

    @Override
    public boolean lookupIsLocal() {
        return delegate.lookupIsLocal();
    }

    @Override
    public StorageWriter openWriter(StorageKey key) throws IOException {
        return delegate.openWriter(key);
    }

    @Override
    public boolean delete(StorageKey key) throws IOException {
        return delegate.delete(key);
    }

    @Override
    public void addRemovalListener(RemovalListener listener) {
        delegate.addRemovalListener(listener);
    }

    @Override
    public Stream<StorageEntry> entries() throws IOException {
        return delegate.entries();
    }

    @Override
    public StorageUsage usage() {
        return delegate.usage();
    }

    @Override
    public boolean usageCounted() {
        return delegate.usageCounted();
    }

    @Override
    public void probeWritable() throws IOException {
        delegate.probeWritable();
    }

    @Override
    public Optional<String> writeProblem() {
        return delegate.writeProblem();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() throws Exception {
        if (delegate instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }
}
