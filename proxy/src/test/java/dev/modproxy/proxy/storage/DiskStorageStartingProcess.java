package dev.modproxy.proxy.storage;

import java.nio.file.Path;

/**
 * Run in a child JVM: a second process starting on a cache root, as a replica does in a rolling update. Locks are
 * per process (fcntl), so only another process tells whether this one's staging directories are still locked.
 */
public final class DiskStorageStartingProcess {

    public static void main(String[] args) throws Exception {
        new LocalDiskStorage(Path.of(args[0]), task -> {});
        System.out.println("started");
    }
}
