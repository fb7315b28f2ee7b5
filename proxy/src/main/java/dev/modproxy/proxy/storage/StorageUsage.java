package dev.modproxy.proxy.storage;

/**
 * Bytes and number of objects currently stored. Never negative: a count that missed objects (a directory it could
 * not read at start) goes low when they are removed, and a negative size is no figure to show.
 */
public record StorageUsage(long bytes, long entries) {
    public StorageUsage {
        bytes = Math.max(0, bytes);
        entries = Math.max(0, entries);
    }
}
