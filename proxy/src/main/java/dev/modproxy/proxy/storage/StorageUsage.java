package dev.modproxy.proxy.storage;

/** Bytes and number of objects currently stored. */
public record StorageUsage(long bytes, long entries) {}
