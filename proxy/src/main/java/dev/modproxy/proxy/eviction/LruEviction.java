package dev.modproxy.proxy.eviction;

import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * One eviction pass: lists the stored files with their access times, then removes the least
 * recently used first, module artifacts before sumdb answers, skipping objects being served.
 * An object too large to keep at all goes before any of them (at its last release if it is being
 * served): the others would be removed in its place for nothing, as it would still be over the bound.
 */
final class LruEviction {

    static final String SUMDB_PREFIX = "sumdb/";

    record Result(int objects, long bytes) {}

    record Candidate(StorageKey key, long size, long lastAccessMillis, boolean sumdb) {}

    private static final Comparator<Candidate> EVICTION_ORDER =
            Comparator.comparing(Candidate::sumdb).thenComparingLong(Candidate::lastAccessMillis);

    private final LocalDiskStorage disk;
    private final ServingLeases leases;
    private final LongConsumer evicted;

    LruEviction(LocalDiskStorage disk, ServingLeases leases, LongConsumer evicted) {
        this.disk = disk;
        this.leases = leases;
        this.evicted = evicted;
    }

    /** What the cache holds, in no particular order. */
    List<Candidate> candidates(Path root) throws IOException {
        return scan(root);
    }

    /**
     * Removes objects until bytesToFree are gone: first every object larger than largestKept (one being served
     * is doomed: it goes at its last release, and counts as freed), then the rest in eviction order.
     */
    Result free(List<Candidate> candidates, long bytesToFree, long largestKept) throws IOException {
        List<Candidate> ordered = new ArrayList<>(candidates);
        ordered.sort(EVICTION_ORDER);
        int objects = 0;
        long bytes = 0;
        for (Candidate c : ordered) {
            if (c.size() > largestKept) {
                if (deleteUnlessServed(c.key())) {
                    objects++;
                    bytes += c.size();
                } else if (leases.doomIfLeased(c.key())) {
                    bytes += c.size(); // freed once its last reader is done
                }
            }
        }
        for (Candidate c : ordered) {
            if (bytes >= bytesToFree) {
                break;
            }
            if (c.size() <= largestKept && deleteUnlessServed(c.key())) {
                objects++;
                bytes += c.size();
            }
        }
        evicted.accept(objects);
        return new Result(objects, bytes);
    }

    /** Removes a doomed object once its last reader released it, unless it was leased again meanwhile. */
    boolean removeDoomed(StorageKey key) throws IOException {
        boolean removed = deleteUnlessServed(key);
        if (removed) {
            evicted.accept(1);
        }
        return removed;
    }

    private boolean deleteUnlessServed(StorageKey key) throws IOException {
        try {
            return leases.deleteIfIdle(key, () -> {
                try {
                    if (!disk.delete(key)) {
                        return false;
                    }
                    disk.removeEmptyDirectoriesAbove(key); // a directory takes space eviction would not free
                    return true;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static List<Candidate> scan(Path root) throws IOException {
        Path staging = root.resolve(".tmp");
        List<Candidate> found = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return dir.equals(staging) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    String relative = root.relativize(file)
                            .toString()
                            .replace(file.getFileSystem().getSeparator(), "/");
                    try {
                        found.add(new Candidate(
                                new StorageKey(relative),
                                attrs.size(),
                                attrs.lastAccessTime().toMillis(),
                                relative.startsWith(SUMDB_PREFIX)));
                    } catch (IllegalArgumentException e) {
                        // a foreign file in the root: not ours to remove
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE; // removed while we walked
            }
        });
        return found;
    }
}
