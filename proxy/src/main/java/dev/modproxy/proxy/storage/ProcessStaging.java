package dev.modproxy.proxy.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * This process's staging directory under a directory that several processes may share (replicas on one
 * ReadWriteMany volume, or several proxies started with one MODPROXY_STORAGE_DIR on a machine): each holds a lock on
 * its own directory while it runs, and at start-up removes only the directories whose lock it can take (their owner
 * is gone) and, where the file system has no locks, what was not touched for {@link #ABANDONED_STAGING_AGE}. A
 * process whose directory someone removed makes it again at its next file. Both storages stage here: local disk
 * under {@code root/.tmp}, S3 under {@code s3-staging/}, where a start used to empty the whole directory and so
 * failed the uploads another live process had staged there.
 */
final class ProcessStaging {

    /** Held, locked, in each process's staging directory while the process runs. */
    static final String OWNER_LOCK = "owner.lock";
    /** A running process's staging directory: p-<random>, its owner.lock locked before it got this name. */
    static final String OWN_STAGING_PREFIX = "p-";
    /**
     * A staging directory being made, named so while its owner.lock is not yet locked: a process starting then
     * would take that lock and remove a live process's directory, so clean-up judges these by their age only.
     */
    static final String STAGING_BEING_MADE_PREFIX = "n-";
    /**
     * A staging directory or file whose owner cannot be told by its lock (a file system without locks, or a file
     * staged by a version that wrote straight into the shared directory) is removed only once untouched this long: a
     * download writes at least every read timeout, and the longest one allowed (MODPROXY_ZIP_DOWNLOAD_DEADLINE's
     * default) lasts 15 minutes; an upload to a bucket reads its file without touching it for at most two attempts
     * of 30 s plus 1 s per MiB, 17 minutes for a 500 MiB zip.
     */
    static final Duration ABANDONED_STAGING_AGE = Duration.ofHours(1);

    private static final Logger LOG = Logger.getLogger(ProcessStaging.class);

    /**
     * The staging directories of the storages this process made, by their real paths. Clean-up never probes their
     * locks: closing the channel of a probe releases every lock this process holds on that file (fcntl locks are
     * per process), and another process could then remove a live storage's staging.
     */
    private static final Set<Path> STAGING_OF_THIS_PROCESS = ConcurrentHashMap.newKeySet();

    /** The directory every process stages under. */
    private final Path staging;
    /** This process's own directory under staging; made again under the same name when someone removed it. */
    private final Path ownStaging;
    /**
     * Locks ownStaging for as long as this process runs; null where the file system has no locks. Replaced
     * when ownStaging is made again.
     */
    private FileLock ownerLock;
    /** Held while ownStaging is made again; guards ownerLock. */
    private final Object ownStagingLock = new Object();

    /** Makes this process's directory under staging and removes what processes that are gone left there. */
    ProcessStaging(Path staging) throws IOException {
        this.staging = staging;
        makeStagingARealDirectory();
        Path realStaging = staging.toRealPath();
        Path beingMade = Files.createTempDirectory(staging, STAGING_BEING_MADE_PREFIX);
        String random = beingMade.getFileName().toString().substring(STAGING_BEING_MADE_PREFIX.length());
        this.ownStaging = staging.resolve(OWN_STAGING_PREFIX + random);
        STAGING_OF_THIS_PROCESS.add(realStaging.resolve(ownStaging.getFileName()));
        synchronized (ownStagingLock) {
            this.ownerLock = lockAndName(beingMade, ownStaging);
        }
        removeAbandonedStaging(realStaging);
    }

    /** The directory every process stages under. */
    Path directory() {
        return staging;
    }

    /**
     * Makes the shared staging directory a real directory. A link there is removed, never its target: clean-up would
     * otherwise delete old files wherever it points; a file there is removed too.
     */
    private void makeStagingARealDirectory() throws IOException {
        try {
            Files.createDirectory(staging);
            return;
        } catch (FileAlreadyExistsException e) {
            // the usual case: made by an earlier start or another process
        }
        BasicFileAttributes found = Files.readAttributes(staging, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (found.isDirectory()) {
            return;
        }
        LOG.warnf(
                "%s is %s, not a directory: removed (what a link points to is left alone), and a directory made there",
                staging, found.isSymbolicLink() ? "a symbolic link" : "a file");
        Files.delete(staging); // on a link, removes the link itself
        try {
            Files.createDirectory(staging);
        } catch (FileAlreadyExistsException e) {
            // another process starting made it just now; it checks it as we did
        }
    }

    /**
     * Locks owner.lock in a directory still named as being made, then gives it its name: a process starting in
     * between never finds a p- directory whose lock nobody holds yet.
     */
    private static FileLock lockAndName(Path beingMade, Path name) throws IOException {
        FileLock lock = lockOwnStaging(beingMade);
        try {
            Files.move(beingMade, name, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (lock != null) {
                lock.channel().close();
            }
            throw e;
        }
        return lock;
    }

    private static FileLock lockOwnStaging(Path dir) throws IOException {
        FileChannel channel =
                FileChannel.open(dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return lock; // released when the process ends, however it ends
            }
        } catch (IOException e) {
            LOG.debugf("cannot lock %s (%s): other processes on this root tell it is in use by its age", dir, e);
        }
        channel.close();
        return null;
    }

    /**
     * Makes this process's staging directory again, under its name and locked, when it is gone: another replica
     * removed it (on a file system whose locks are local to one node, it cannot tell ours is live) or an older
     * version's start-up emptied .tmp. Without this, every write would fail until the process restarts.
     */
    private void remakeOwnStaging() throws IOException {
        synchronized (ownStagingLock) {
            if (Files.isDirectory(ownStaging, LinkOption.NOFOLLOW_LINKS)) {
                return; // another thread made it again first
            }
            LOG.warnf("%s was removed by something else than this process; made again", ownStaging);
            if (ownerLock != null) {
                ownerLock.channel().close(); // a lock on a file removed with its directory
            }
            makeStagingARealDirectory();
            ownerLock = lockAndName(Files.createTempDirectory(staging, STAGING_BEING_MADE_PREFIX), ownStaging);
        }
    }

    /** A new empty file in this process's staging directory, which is made again first if someone removed it. */
    Path newFile(String prefix, String suffix) throws IOException {
        try {
            return Files.createTempFile(ownStaging, prefix, suffix);
        } catch (NoSuchFileException e) {
            remakeOwnStaging();
            return Files.createTempFile(ownStaging, prefix, suffix);
        }
    }

    /**
     * Removes what processes that are gone left staged: directories whose lock can be taken, and, where locks
     * tell nothing, what is older than {@link #ABANDONED_STAGING_AGE}. Another process's download is never
     * touched: its directory is locked, or it was written to lately. Nothing is followed through a link: a
     * link here is removed itself, and the walks below neither follow nor delete through one.
     */
    private void removeAbandonedStaging(Path realStaging) throws IOException {
        long cutoff = System.currentTimeMillis() - ABANDONED_STAGING_AGE.toMillis();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(staging)) {
            for (Path child : children) {
                if (STAGING_OF_THIS_PROCESS.contains(realStaging.resolve(child.getFileName()))) {
                    continue; // ours, or a live storage's in this process: see STAGING_OF_THIS_PROCESS
                }
                try {
                    if (!Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                        if (lastTouched(child) < cutoff) {
                            Files.deleteIfExists(child); // staged straight into it by an older version, or a link
                        }
                    } else if (ownerIsGone(child, cutoff)) {
                        deleteTree(child);
                    }
                } catch (IOException e) {
                    // another process starting at the same time removed it first, or it is not ours to remove
                    LOG.debugf("leaving %s in staging: %s", child, e);
                }
            }
        }
    }

    /**
     * Whether the process that staged in dir is gone: its lock can be taken, or, where there are no locks or it
     * has none (still being made, or made by a process that could not lock), nothing in it was touched for
     * {@link #ABANDONED_STAGING_AGE}. On a mount whose locks are local to one node (nfs nolock, cifs nobrl) the
     * lock of a process on another node can always be taken, so a live one's directory is removed: that process
     * makes it again at its next write, but the download it was staging fails.
     */
    private static boolean ownerIsGone(Path dir, long cutoff) throws IOException {
        if (!dir.getFileName().toString().startsWith(OWN_STAGING_PREFIX)) {
            return newestIn(dir) < cutoff; // being made: its lock may not be taken yet
        }
        try (FileChannel channel =
                FileChannel.open(dir.resolve(OWNER_LOCK), StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            try (FileLock lock = channel.tryLock()) {
                return lock != null;
            } catch (OverlappingFileLockException e) {
                return false; // held by this process (STAGING_OF_THIS_PROCESS keeps us from probing our own)
            } catch (IOException e) {
                return newestIn(dir) < cutoff; // no locks on this file system
            }
        } catch (NoSuchFileException e) {
            return newestIn(dir) < cutoff; // left by a process that had no lock
        }
    }

    private static long newestIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            long newest = Long.MIN_VALUE;
            for (Path file : (Iterable<Path>) files::iterator) {
                newest = Math.max(newest, lastTouched(file));
            }
            return newest;
        }
    }

    private static long lastTouched(Path file) throws IOException {
        return Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis();
    }

    private static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
