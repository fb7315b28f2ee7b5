package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Objects as plain files under a root directory, laid out like a GOPROXY file tree. Writes are staged
 * in a directory of this process's own under {@code root/.tmp}, fsynced, then renamed into place.
 * Several processes may share the root (replicas on one ReadWriteMany volume): each holds a lock on
 * its staging directory while it runs, and at start-up removes only the staging directories whose
 * lock it can take (their owner is gone) and, where the file system has no locks, what was not
 * touched for {@link ProcessStaging#ABANDONED_STAGING_AGE}. Leftovers of a crash are never served either way.
 * A process whose staging directory someone removed makes it again at its next write. Where locks
 * are local to one node (nfs {@code nolock}, cifs {@code nobrl}) a live process's staging cannot be
 * told from an abandoned one, and a process starting removes the other nodes' downloads in progress.
 *
 * <p>Links: a write or a delete never goes through one (the directories a write makes or uses must
 * be real directories under the root, a delete refuses an object whose directory is really outside
 * it, and staging clean-up removes a link, never what it points to). A lookup checks the object
 * itself: a link, or anything but a regular file, where an object should be is an
 * {@link UnusableEntryException}, as is a file this process cannot read, and an object whose directory
 * really lies outside the root or in staging (a directory above it replaced with a link to elsewhere):
 * one realpath per lookup; links that stay under the root are followed. An empty {@code .info},
 * {@code .mod} or {@code .zip} is a miss (none of them is ever empty), so the object is fetched
 * again and replaces it.
 *
 * <p>The size and count of what the root holds are counted on a background thread, so a cache of
 * a million files does not hold the server's start (and its probes) for the length of the walk.
 * Until that walk ends, {@link #usage()} is what was counted so far plus the changes since start.
 * Objects written, replaced or deleted during the walk end up counted once at their new size (or
 * not at all): the walk goes in the order of names, so a change tells whether the walk has passed
 * its object, and the size at start of an object deleted before the walk reached it (eviction acts
 * on the volume's own figures while the count runs, and may delete in bulk) is added at its end.
 */
public final class LocalDiskStorage implements Storage {

    static final String STAGING_DIR = ".tmp";

    private static final Logger LOG = Logger.getLogger(LocalDiskStorage.class);

    private final Path root;
    /** The root with its links resolved, to tell where a directory above an object really is. */
    private final Path realRoot;
    /** root/.tmp: every process's staging directories; no key resolves under it. */
    private final Path staging;
    /** This process's own staging directory under it, and its clean-up of those of processes that are gone. */
    private final ProcessStaging ownStaging;

    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong entries = new AtomicLong();
    private final Object publishLock = new Object();
    private final List<RemovalListener> removalListeners = new CopyOnWriteArrayList<>();
    /**
     * While the walk runs: for each object written or deleted since start, its size at start (-1: it
     * did not exist). The walk counts that size for these keys, not what it finds; the writes and
     * deletes themselves change the totals as usual. Guarded by publishLock; null once counted.
     */
    private Map<StorageKey, Long> sizeAtStartOfChanged = new HashMap<>();
    /**
     * The changed keys whose size at start the walk counted: it found them changed, or had passed them (and counted
     * what it found) when they changed. The others it never saw (deleted before it reached them): their size at
     * start is added at its end. Guarded by publishLock.
     */
    private Set<StorageKey> countedChanged = new HashSet<>();
    /** The last key the walk counted: it walks in the order of {@link #walkOrder}. Guarded by publishLock. */
    private StorageKey countedUpTo;
    /** Told of each key the walk at start counted, on its thread (tests change objects meanwhile). */
    private volatile java.util.function.Consumer<StorageKey> afterCounting = key -> {};

    private final CompletableFuture<StorageUsage> counted = new CompletableFuture<>();

    public LocalDiskStorage(Path root) throws IOException {
        this(root, task -> {
            Thread counter = new Thread(task, "modproxy-size-accounting");
            counter.setDaemon(true);
            counter.start();
        });
    }

    /** @param counting runs the count of the objects already under root (tests hold it back) */
    public LocalDiskStorage(Path root, Executor counting) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.staging = this.root.resolve(STAGING_DIR);
        Files.createDirectories(this.root);
        this.realRoot = this.root.toRealPath();
        this.ownStaging = new ProcessStaging(staging);
        counting.execute(this::countExisting);
    }

    /** Completes with the usage once every existing object has been counted. */
    public CompletableFuture<StorageUsage> counted() {
        return counted;
    }

    @Override
    public boolean usageCounted() {
        return counted.isDone();
    }

    private void countExisting() {
        long started = System.nanoTime();
        try {
            countUnder(root);
        } catch (IOException | UncheckedIOException e) {
            LOG.warnf(
                    e,
                    "counting the objects under %s failed; size figures count only what was written since start",
                    root);
        }
        synchronized (publishLock) {
            // an object deleted (evicted) before the walk reached it was subtracted but never seen: its size at start
            sizeAtStartOfChanged.forEach((key, atStart) -> {
                if (atStart >= 0 && !countedChanged.contains(key)) {
                    bytes.addAndGet(atStart);
                    entries.incrementAndGet();
                }
            });
            sizeAtStartOfChanged = null;
            countedChanged = null;
            if (bytes.get() < 0 || entries.get() < 0) { // a count that failed part way
                bytes.set(Math.max(0, bytes.get()));
                entries.set(Math.max(0, entries.get()));
            }
        }
        StorageUsage usage = usage();
        LOG.infof(
                "storage %s accounted: %d objects, %d bytes, in %d ms",
                root, usage.entries(), usage.bytes(), (System.nanoTime() - started) / 1_000_000);
        counted.complete(usage);
    }

    /**
     * Counts what is under dir, its entries in the order of their names, so that where the walk stands says which
     * keys it has passed ({@link #walkOrder}). Staging and links are left out.
     */
    private void countUnder(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
            }
        } catch (NoSuchFileException gone) {
            return; // emptied and removed while we walked
        } catch (IOException e) {
            if (dir.equals(root)) {
                throw e;
            }
            // the rest is still counted: a partial count is low, a count given up is wrong for good
            LOG.warnf("cannot read %s (%s): what it holds is neither counted nor evicted", dir, e);
            return;
        }
        Collections.sort(names);
        for (String name : names) {
            Path entry = dir.resolve(name);
            if (entry.equals(staging)) {
                continue;
            }
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException gone) {
                continue; // one removed while we walked is no news
            } catch (IOException e) {
                LOG.warnf("cannot read %s (%s): what it holds is neither counted nor evicted", entry, e);
                continue;
            }
            if (attrs.isDirectory()) {
                countUnder(entry);
            } else if (attrs.isRegularFile()) {
                keyOf(entry).ifPresent(key -> countAtStart(key, attrs.size()));
            }
        }
    }

    /**
     * The order of the walk at start: by the names of the path's elements, one by one (a directory's objects come
     * right after it, before its next sibling).
     */
    static int walkOrder(StorageKey a, StorageKey b) {
        String[] x = a.value().split("/", -1);
        String[] y = b.value().split("/", -1);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = x[i].compareTo(y[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }

    /** Notes, while the walk at start runs, that key changed; sizeAtStart: -1 if it did not exist. */
    private void changedDuringCount(StorageKey key, long sizeAtStart) {
        // under publishLock
        if (sizeAtStartOfChanged != null && sizeAtStartOfChanged.putIfAbsent(key, sizeAtStart) == null) {
            if (countedUpTo != null && walkOrder(key, countedUpTo) <= 0) {
                countedChanged.add(key); // the walk passed it: what it counted there was its size at start
            }
        }
    }

    private void countAtStart(StorageKey key, long size) {
        synchronized (publishLock) {
            countedUpTo = key;
            Long changed = sizeAtStartOfChanged.get(key);
            long atStart = size;
            if (changed != null) {
                atStart = changed;
                countedChanged.add(key);
            }
            if (atStart >= 0) {
                bytes.addAndGet(atStart);
                entries.incrementAndGet();
            }
        }
        afterCounting.accept(key);
    }

    void afterCounting(java.util.function.Consumer<StorageKey> hook) {
        afterCounting = hook;
    }

    /**
     * The key of a file under the root, as its path names it; empty for a foreign file dropped into the root, not
     * ours to list, count or evict.
     */
    public Optional<StorageKey> keyOf(Path file) {
        String relative =
                root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
        try {
            return Optional.of(new StorageKey(relative));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public Path root() {
        return root;
    }

    /**
     * Removes the directories above key that are now empty, up to the root: each takes space eviction would
     * not free otherwise. Under the lock a write creates its directory and moves its file into it with, so no
     * write finds its directory gone.
     */
    public void removeEmptyDirectoriesAbove(StorageKey key) throws IOException {
        synchronized (publishLock) {
            for (Path dir = fileFor(key).getParent(); !dir.equals(root); dir = dir.getParent()) {
                try {
                    Files.delete(dir);
                } catch (java.nio.file.DirectoryNotEmptyException | NoSuchFileException e) {
                    return;
                }
            }
        }
    }

    /** The file for a key; refuses anything that would resolve outside the root or into staging. */
    public Path fileFor(StorageKey key) {
        Path file = root.resolve(key.value()).normalize();
        if (!file.startsWith(root) || file.equals(root) || file.startsWith(staging)) {
            throw new IllegalArgumentException("storage key escapes the storage root: " + key);
        }
        return file;
    }

    /**
     * The object under the key, or empty. A link, a directory or anything else that is not a regular file where
     * the object should be, or a file this process cannot read, is an {@link UnusableEntryException}: the
     * caller answers it as a miss, and the write that follows replaces an unreadable file but not the others.
     */
    @Override
    public Optional<StoredObject> lookup(StorageKey key) throws IOException {
        Path file = fileFor(key);
        BasicFileAttributes attrs;
        try {
            // one lstat, as the stat it replaces: a link is seen, never followed
            attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!attrs.isRegularFile()) {
            throw new UnusableEntryException(file, attrs);
        }
        checkDirectoryIsUnderTheRoot(file);
        if (attrs.size() == 0 && neverEmpty(key)) {
            return Optional.empty(); // damaged: fetched again, and the fresh copy replaces it
        }
        if (!Files.isReadable(file)) {
            throw new UnusableEntryException(file, "cannot be read by this process", true);
        }
        return Optional.of(StoredObject.ofFile(
                key, file, attrs.size(), attrs.lastModifiedTime().toInstant()));
    }

    /**
     * Refuses an object whose directory is really outside the root (or in staging): a directory above it was replaced
     * by a link to elsewhere, and the file there would be served as the module. One realpath per disk lookup, a few
     * microseconds (hits on small artifacts are answered from memory without one).
     */
    private void checkDirectoryIsUnderTheRoot(Path file) throws IOException {
        Path realDirectory;
        try {
            realDirectory = file.getParent().toRealPath();
        } catch (NoSuchFileException e) {
            return; // removed since the lstat: what opens it next finds nothing either
        }
        if (!realDirectory.startsWith(realRoot) || realDirectory.startsWith(realRoot.resolve(STAGING_DIR))) {
            throw new UnusableEntryException(
                    file,
                    "is under a directory linked to " + realDirectory + ", which the cache does not follow",
                    false);
        }
    }

    /** An .info is JSON, a .mod names its module, a .zip has at least its end record: none is ever empty. */
    private static boolean neverEmpty(StorageKey key) {
        String name = key.value();
        return name.endsWith(".zip") || name.endsWith(".info") || name.endsWith(".mod");
    }

    @Override
    public boolean lookupIsLocal() {
        return true;
    }

    @Override
    public StorageWriter openWriter(StorageKey key) throws IOException {
        Path target = fileFor(key);
        Path staged = ownStaging.newFile("put-", ".part");
        return new Writer(key, target, staged);
    }

    /**
     * Deletes the object under the key, and the directories above it that this leaves empty (never the root). Refused (an {@link UnusableEntryException}) when a directory above it is
     * a link out of the root: the delete would remove a file elsewhere. Unlike a lookup, which checks only the
     * object itself, this checks every directory above it; deletes are rare.
     */
    @Override
    public boolean delete(StorageKey key) throws IOException {
        Path file = fileFor(key);
        synchronized (publishLock) {
            long size;
            try {
                Path realDirectory = file.getParent().toRealPath();
                if (!realDirectory.startsWith(realRoot) || realDirectory.startsWith(realRoot.resolve(STAGING_DIR))) {
                    throw new UnusableEntryException(
                            file,
                            "is under a directory linked to " + realDirectory + ", which the cache does not follow",
                            false);
                }
                size = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                        .size();
            } catch (NoSuchFileException e) {
                return false;
            }
            if (Files.deleteIfExists(file)) {
                changedDuringCount(key, size);
                bytes.addAndGet(-size);
                entries.decrementAndGet();
                removalListeners.forEach(l -> l.removed(key));
                try {
                    // whoever deletes (an admin's removal, eviction, a module gone upstream): a directory it emptied
                    // takes space and an inode, and a removal must not leave the module's tree behind
                    removeEmptyDirectoriesAbove(key);
                } catch (IOException e) {
                    LOG.debugf("cannot remove the emptied directories above %s (%s): left in place", key, e);
                }
                return true;
            }
            return false;
        }
    }

    @Override
    public void addRemovalListener(RemovalListener listener) {
        removalListeners.add(listener);
    }

    @Override
    public Stream<StorageEntry> entries() throws IOException {
        return Files.walk(root)
                .filter(p -> !p.startsWith(staging))
                .map(p -> {
                    try {
                        // a link is not an object: its target is not ours to list, count or evict
                        BasicFileAttributes attrs =
                                Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                        if (!attrs.isRegularFile()) {
                            return null;
                        }
                        return keyOf(p).map(key -> new StorageEntry(
                                        key,
                                        attrs.size(),
                                        attrs.lastModifiedTime().toInstant()))
                                .orElse(null);
                    } catch (NoSuchFileException e) {
                        return null;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                })
                .filter(e -> e != null);
    }

    @Override
    public StorageUsage usage() {
        return new StorageUsage(bytes.get(), entries.get());
    }

    @Override
    public void probeWritable() throws IOException {
        // an empty file takes only an inode: a full disk would still pass
        Path probe = ownStaging.newFile("probe-", ".tmp");
        try {
            Files.write(probe, new byte[64 * 1024]);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }

    private final class Writer extends StagedWriter {
        private final StorageKey key;
        private final Path target;

        Writer(StorageKey key, Path target, Path staged) throws IOException {
            super(staged, true, true);
            this.key = key;
            this.target = target;
        }

        @Override
        StoredObject publish(Path staged, long size) throws IOException {
            synchronized (publishLock) {
                // in the lock: a delete removes the directories it empties (removeEmptyDirectoriesAbove)
                long replaced;
                try {
                    replaced = moveIntoPlace(staged);
                } catch (NoSuchFileException e) {
                    if (Files.isDirectory(target.getParent(), LinkOption.NOFOLLOW_LINKS)) {
                        throw e; // the staged file is gone, not the directory
                    }
                    // another replica's eviction, under a lock of its own, removed a directory we had just made
                    replaced = moveIntoPlace(staged);
                }
                changedDuringCount(key, replaced);
                if (replaced >= 0) {
                    bytes.addAndGet(size - replaced);
                } else {
                    bytes.addAndGet(size);
                    entries.incrementAndGet();
                }
            }
            syncDirectory(target.getParent());
            BasicFileAttributes attrs =
                    Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return StoredObject.ofFile(
                    key, target, attrs.size(), attrs.lastModifiedTime().toInstant());
        }

        /** Makes the target's directories and renames the staged file over it: the size it replaced, or -1. */
        private long moveIntoPlace(Path staged) throws IOException {
            createRealDirectories(target.getParent());
            long replaced = -1;
            try {
                BasicFileAttributes old =
                        Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!old.isRegularFile()) {
                    // a link or a directory is not replaced: someone put it there, the object goes uncached
                    throw new UnusableEntryException(target, old);
                }
                replaced = old.size();
            } catch (NoSuchFileException e) {
                // first version of this object
            }
            try {
                Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("storage root must be one file system: " + root, e);
            }
            return replaced;
        }
    }

    /**
     * Makes the directories from the root down to dir, each a real directory: {@link Files#createDirectories}
     * follows a link, and a write would land wherever it points.
     */
    private void createRealDirectories(Path dir) throws IOException {
        Path current = root;
        for (Path name : root.relativize(dir)) {
            current = current.resolve(name);
            try {
                Files.createDirectory(current);
                continue;
            } catch (FileAlreadyExistsException e) {
                // made before, or by another process just now: it must be a directory, not a link to one
            }
            BasicFileAttributes attrs =
                    Files.readAttributes(current, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isSymbolicLink()) {
                throw new UnusableEntryException(current, attrs);
            }
            if (!attrs.isDirectory()) {
                throw new UnusableEntryException(current, "is a file where a directory should be", false);
            }
        }
    }

    /** Makes the rename itself durable; some file systems refuse to open directories, which is fine. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // best effort: the file content is already synced
        }
    }
}
