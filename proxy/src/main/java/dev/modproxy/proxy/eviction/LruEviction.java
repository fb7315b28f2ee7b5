package dev.modproxy.proxy.eviction;

import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * One eviction pass: walks the stored files with their access times, keeping only the least recently
 * used ones a pass needs (enough of them to free what is to go, at most {@link #MAX_CANDIDATES}), then
 * removes them oldest first, module artifacts before sumdb answers, skipping objects being served.
 * An object too large to keep at all goes before any of them (at its last release if it is being
 * served): the others would be removed in its place for nothing, as it would still be over the bound.
 * A walk of a million files thus holds a few candidates in memory, not a million: the list of all of
 * them took about 170 MiB, more than the default heap.
 */
final class LruEviction {

    static final String SUMDB_PREFIX = "sumdb/";

    /** What a pass removed: bytes as the cache counts them, occupied as the volume does (see {@link Candidate}). */
    record Result(int objects, long bytes, long occupied, long skippedBytes, long skippedOccupied) {}

    /**
     * The most candidates one walk keeps (about 200 bytes each: some 10 MB): when more are needed, as when a lower
     * cap takes half of a large cache, eviction walks again for the next ones.
     */
    static final int MAX_CANDIDATES = 50_000;

    /**
     * A stored object: size is its length, occupied what it takes on the volume (its length in whole blocks; a
     * file of 60 bytes takes 4 KiB on ext4). The cap counts sizes, the volume's figures count blocks.
     */
    /** @param fileKey the file the walk saw (its inode), to tell it from one written under its key since */
    record Candidate(StorageKey key, long size, long occupied, long lastAccessMillis, boolean sumdb, Object fileKey) {

        /** Whether the file now under the key is the one the walk saw: a commit since has put another there. */
        boolean isStill(BasicFileAttributes now) {
            return fileKey != null ? fileKey.equals(now.fileKey()) : now.size() == size;
        }
    }

    /**
     * What a walk of the root found: the objects eviction may remove (the oldest it needs, and those too large to
     * keep), and an estimate of all the volume gives the cache (the objects, the directories, every process's
     * staging), which errs high: what it leaves out of the volume's used bytes is taken for data that is not the
     * cache's, and that stops eviction. partial: the walk left out objects it saw (newer than those kept).
     */
    record Holdings(List<Candidate> candidates, long occupied, long blockSize, boolean partial) {

        boolean anyLargerThan(long largestKept) {
            return candidates.stream().anyMatch(c -> c.size() > largestKept);
        }
    }

    private static final Comparator<Candidate> EVICTION_ORDER =
            Comparator.comparing(Candidate::sumdb).thenComparingLong(Candidate::lastAccessMillis);

    private final LocalDiskStorage disk;
    private final ServingLeases leases;
    private final LongConsumer evicted;
    private final int maxCandidates;
    /** Walks so far (tests count them). */
    private final AtomicInteger walks = new AtomicInteger();

    LruEviction(LocalDiskStorage disk, ServingLeases leases, LongConsumer evicted) {
        this(disk, leases, evicted, MAX_CANDIDATES);
    }

    LruEviction(LocalDiskStorage disk, ServingLeases leases, LongConsumer evicted, int maxCandidates) {
        this.disk = disk;
        this.leases = leases;
        this.evicted = evicted;
        this.maxCandidates = maxCandidates;
    }

    /**
     * What the cache holds, in no particular order, with what it occupies on a volume that allocates in blocks of
     * blockSize bytes (1: count lengths): every object (up to the bound of candidates).
     */
    Holdings scan(Path root, long blockSize) throws IOException {
        return scan(root, blockSize, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /**
     * A walk keeping as candidates every object larger than largestKept and, of the others, only the first in
     * eviction order whose sizes reach sizesToFree and whose blocks reach occupiedToFree (at most the bound of
     * candidates): the walk's memory grows with what is to go, not with what the cache holds.
     */
    Holdings scan(Path root, long blockSize, long sizesToFree, long occupiedToFree, long largestKept)
            throws IOException {
        walks.incrementAndGet();
        return new Walk(root, blockSize, disk, sizesToFree, occupiedToFree, largestKept, maxCandidates).run();
    }

    int walks() {
        return walks.get();
    }

    /**
     * Removes objects until sizesToFree bytes of the cache's sizes and occupiedToFree bytes of the volume are gone
     * (a directory emptied on the way counts a block): first every object larger than largestKept (one being served
     * is doomed: it goes at its last release, and counts as freed), then the rest in eviction order. doomed holds the
     * keys the check already doomed and counted as freed, which a later walk of the same check finds again on disk
     * (they go at their last release) and must not count again.
     */
    Result free(Holdings held, long sizesToFree, long occupiedToFree, long largestKept, Set<StorageKey> doomed)
            throws IOException {
        List<Candidate> ordered = new ArrayList<>(held.candidates());
        ordered.sort(EVICTION_ORDER);
        int objects = 0;
        long bytes = 0;
        long occupied = 0;
        long skippedBytes = 0;
        long skippedOccupied = 0;
        for (Candidate c : ordered) {
            if (c.size() > largestKept) {
                if (deleteUnlessServed(c.key(), c::isStill)) {
                    objects++;
                    bytes += c.size();
                    occupied += c.occupied() + directoriesGoneAbove(c.key()) * held.blockSize();
                } else if (stillLargerThan(c.key(), largestKept)
                        && leases.doomIfLeased(c.key())
                        && doomed.add(c.key())) {
                    bytes += c.size(); // freed once its last reader is done
                    occupied += c.occupied();
                }
            }
        }
        for (Candidate c : ordered) {
            if (bytes >= sizesToFree && occupied >= occupiedToFree) {
                break;
            }
            if (c.size() > largestKept) {
                continue;
            }
            if (deleteUnlessServed(c.key(), c::isStill)) {
                objects++;
                bytes += c.size();
                occupied += c.occupied() + directoriesGoneAbove(c.key()) * held.blockSize();
            } else {
                skippedBytes += c.size(); // a walk again finds it among the oldest: it must look past it
                skippedOccupied += c.occupied();
            }
        }
        evicted.accept(objects);
        return new Result(objects, bytes, occupied, skippedBytes, skippedOccupied);
    }

    /**
     * Removes a doomed object once its last reader released it, unless it was leased again meanwhile or what is under
     * its key now fits (a commit that replaced it as a walk doomed it).
     */
    boolean removeDoomed(StorageKey key, long largestKept) throws IOException {
        boolean removed = deleteUnlessServed(key, now -> now.size() > largestKept);
        if (removed) {
            evicted.accept(1);
        }
        return removed;
    }

    /**
     * Whether the object now under key is larger than largestKept: the walk's size may be of an object replaced since
     * (a refreshed list that fits), which a doom would remove at its writer's release.
     */
    private boolean stillLargerThan(StorageKey key, long largestKept) {
        try {
            return Files.readAttributes(disk.fileFor(key), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                            .size()
                    > largestKept;
        } catch (IOException gone) {
            return false;
        }
    }

    /** How many of the directories above a removed key went with it (emptied, so removed). */
    private int directoriesGoneAbove(StorageKey key) {
        int gone = 0;
        for (Path dir = disk.fileFor(key).getParent();
                !dir.equals(disk.root()) && Files.notExists(dir);
                dir = dir.getParent()) {
            gone++;
        }
        return gone;
    }

    /**
     * Deletes key's object unless it is leased, or what is under the key now is not what the caller judged (a walk's
     * candidate replaced by a commit since): checked while the key is held, so no commit or lookup comes between.
     */
    private boolean deleteUnlessServed(StorageKey key, Predicate<BasicFileAttributes> stillMeant) throws IOException {
        try {
            return leases.deleteIfIdle(key, () -> {
                try {
                    BasicFileAttributes now;
                    try {
                        now = Files.readAttributes(
                                disk.fileFor(key), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    } catch (NoSuchFileException gone) {
                        return false;
                    }
                    // the delete also removes the directories it empties: they take space eviction would not free
                    return stillMeant.test(now) && disk.delete(key);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * One walk of the root: the objects outside staging are candidates (the oldest needed, those too large to keep);
     * everything the cache made counts as occupied.
     */
    private static final class Walk extends SimpleFileVisitor<Path> {
        private final Path root;
        private final Path staging;
        private final long blockSize;
        private final LocalDiskStorage disk;
        private final long sizesToFree;
        private final long occupiedToFree;
        private final long largestKept;
        private final int maxCandidates;
        /** The oldest seen, the newest of them at the head: the one to drop when the rest suffice. */
        private final PriorityQueue<Candidate> oldest = new PriorityQueue<>(EVICTION_ORDER.reversed());

        private long oldestSizes;
        private long oldestOccupied;
        private final List<Candidate> tooLarge = new ArrayList<>();
        private boolean partial;
        private long occupied;
        private int stagingDepth;

        Walk(
                Path root,
                long blockSize,
                LocalDiskStorage disk,
                long sizesToFree,
                long occupiedToFree,
                long largestKept,
                int maxCandidates) {
            this.root = root;
            this.staging = root.resolve(".tmp");
            this.blockSize = blockSize;
            this.disk = disk;
            this.sizesToFree = sizesToFree;
            this.occupiedToFree = occupiedToFree;
            this.largestKept = largestKept;
            this.maxCandidates = maxCandidates;
        }

        Holdings run() throws IOException {
            Files.walkFileTree(root, this);
            List<Candidate> found = new ArrayList<>(tooLarge.size() + oldest.size());
            found.addAll(tooLarge);
            found.addAll(oldest);
            return new Holdings(found, occupied, blockSize, partial);
        }

        private void keep(Candidate c) {
            if (c.size() > largestKept) {
                if (tooLarge.size() < maxCandidates) {
                    tooLarge.add(c);
                } else {
                    partial = true; // the next check finds it
                }
                return;
            }
            oldest.add(c);
            oldestSizes += c.size();
            oldestOccupied += c.occupied();
            while (!oldest.isEmpty()) {
                Candidate newest = oldest.peek();
                boolean restSuffice = oldestSizes - newest.size() >= sizesToFree
                        && oldestOccupied - newest.occupied() >= occupiedToFree;
                if (!restSuffice && oldest.size() <= maxCandidates) {
                    break;
                }
                oldest.poll();
                oldestSizes -= newest.size();
                oldestOccupied -= newest.occupied();
                partial = true;
            }
        }

        /** At least one block each: an empty directory or file still takes one on most file systems. */
        private long blocks(long length) {
            return Math.max(1, (length + blockSize - 1) / blockSize) * blockSize;
        }

        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            occupied += blocks(attrs.size());
            if (stagingDepth > 0 || dir.equals(staging)) {
                stagingDepth++; // other processes' downloads in flight: the cache's, though not to evict
            }
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) {
            if (stagingDepth > 0) {
                stagingDepth--;
            }
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (!attrs.isRegularFile()) {
                return FileVisitResult.CONTINUE;
            }
            if (stagingDepth > 0) {
                occupied += blocks(attrs.size());
                return FileVisitResult.CONTINUE;
            }
            Optional<StorageKey> ours = disk.keyOf(file);
            if (ours.isEmpty()) {
                return FileVisitResult.CONTINUE; // a foreign file in the root: not ours to remove, nor to count
            }
            StorageKey key = ours.get();
            long size = blocks(attrs.size());
            occupied += size;
            keep(new Candidate(
                    key,
                    attrs.size(),
                    size,
                    attrs.lastAccessTime().toMillis(),
                    key.value().startsWith(SUMDB_PREFIX),
                    attrs.fileKey()));
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException exc) {
            return FileVisitResult.CONTINUE; // removed while we walked
        }
    }
}
