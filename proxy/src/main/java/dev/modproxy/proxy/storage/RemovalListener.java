package dev.modproxy.proxy.storage;

/** Told after an object left the storage (deleted or evicted), so copies kept elsewhere can go too. */
@FunctionalInterface
public interface RemovalListener {

    void removed(StorageKey key);
}
