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
 */
final class LruEviction {

    static final String SUMDB_PREFIX = "sumdb/";

    record Result(int objects, long bytes) {}

    private record Candidate(StorageKey key, long size, long lastAccessMillis, boolean sumdb) {}

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

    Result free(Path root, long bytesToFree) throws IOException {
        List<Candidate> candidates = scan(root);
        candidates.sort(EVICTION_ORDER);
        int objects = 0;
        long bytes = 0;
        for (Candidate c : candidates) {
            if (bytes >= bytesToFree) {
                break;
            }
            if (deleteUnlessServed(c.key())) {
                objects++;
                bytes += c.size();
            }
        }
        evicted.accept(objects);
        return new Result(objects, bytes);
    }

    private boolean deleteUnlessServed(StorageKey key) throws IOException {
        try {
            return leases.deleteIfIdle(key, () -> {
                try {
                    return disk.delete(key);
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
