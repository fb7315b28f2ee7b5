package dev.modproxy.proxy.storage;

import java.time.Instant;

/** One stored object as listed by {@link Storage#entries()}. */
public record StorageEntry(StorageKey key, long size, Instant lastModified) {}
