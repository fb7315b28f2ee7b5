package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.checksum.DirHash;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.jboss.logging.Logger;

/**
 * Inflates a module zip's entries while the zip is still arriving. Its first client gets the last bytes only once
 * {@link ModuleZipRules} has inflated every entry; behind a link slower than inflating, the download leaves time to do
 * most of that before it ends. This pass reads the local headers in order, as far as the bytes have arrived, and
 * remembers for each entry it inflated whole: where its local header was, its method, how many compressed bytes its
 * data took, its CRC-32 and size as inflated, and when asked the SHA-256 of its data.
 *
 * <p>It decides nothing. The check after the download takes a result only for an entry that the central directory
 * places at that very offset, with the same method, compressed size, CRC-32 and size: the bytes it then skips are the
 * ones it would have inflated, read the same way (the data after the local header's name and extra field). Anything
 * it does not follow (a stored entry of unknown length, a ZIP64 entry, a staging file that moved, more entries than
 * {@link #MAX_ENTRIES}) ends this pass early, and the check inflates the rest itself, as it always did. It stops when
 * the download ends, so that the two never inflate the same entry at once.
 *
 * <p>It starts only once the download has taken {@link #SLOW_DOWNLOAD}: a zip that arrives faster than it can be
 * inflated on one core gains nothing from it, and the check after the download shares the work across the cores.
 */
final class EarlyZipCheck implements Runnable {

    private static final Logger LOG = Logger.getLogger(EarlyZipCheck.class);

    /** What the pass learnt of one entry, inflated whole. */
    record Inflated(int method, long compressedSize, long crc, long size, byte[] digest) {}

    static final int LOC_LENGTH = 30;
    private static final int DESCRIPTOR = 0x08074b50;
    private static final int ZIP64_EXTRA = 0x0001;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;
    private static final int CHUNK = 64 * 1024;
    /** The results take about 150 bytes an entry: a zip of more files is checked after its download beyond these. */
    static final int MAX_ENTRIES = 100_000;

    /** A zip's early pass runs on one of these; when all are busy it has none, and is checked after it arrives. */
    private static final ExecutorService PASSES = passes();

    /** How long a download goes on before its zip is inflated as it arrives. */
    static final Duration SLOW_DOWNLOAD = Duration.ofMillis(250);

    private final boolean hashing;
    private final long maxUncompressed;
    private final long startAfterNanos;
    private final long downloadStarted = System.nanoTime();
    // guarded by this
    private final Map<Long, Inflated> inflated = new HashMap<>();
    private Path file;
    private FileChannel channel;
    private long arrived;
    private boolean ended;
    private boolean running;

    /**
     * A pass for a zip whose download starts now; it starts itself once the download has taken {@link
     * #SLOW_DOWNLOAD} ({@link #arrived}).
     *
     * @param hashing also work out the SHA-256 of each entry's data, for the zip's h1: hash
     */
    EarlyZipCheck(boolean hashing, long maxUncompressed) {
        this(hashing, maxUncompressed, SLOW_DOWNLOAD);
    }

    /** @param startAfter how long the download goes on before the pass starts */
    EarlyZipCheck(boolean hashing, long maxUncompressed, Duration startAfter) {
        this.hashing = hashing;
        this.maxUncompressed = maxUncompressed;
        this.startAfterNanos = startAfter.toNanos();
    }

    private static ExecutorService passes() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "modproxy-zip-early-check");
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * The staged file (flushed) now holds written bytes. Starts the pass when the download has gone on long enough
     * (no pass when no thread is free: the check then does all the work); a pass over a file that moved stops.
     */
    synchronized void arrived(Path staged, long written) {
        arrived = Math.max(arrived, written);
        if (file == null && !ended && System.nanoTime() - downloadStarted >= startAfterNanos) {
            start(staged);
        } else if (file != null && !staged.equals(file)) {
            ended = true; // the storage moved the staging: this pass would wait for bytes that go elsewhere
        }
        notifyAll();
    }

    private void start(Path staged) {
        file = staged;
        try {
            channel = FileChannel.open(staged, StandardOpenOption.READ);
            running = true;
            PASSES.execute(this);
        } catch (IOException | RejectedExecutionException e) {
            running = false;
            ended = true;
            if (channel != null) {
                close();
            }
        }
    }

    /** How many entries the pass has inflated whole so far. */
    synchronized int inflatedSoFar() {
        return inflated.size();
    }

    /**
     * The download is over, whole or not: the pass stops (an entry it was inflating is left to the check) and its
     * results are returned once it has, by offset of each entry's local header.
     */
    Map<Long, Inflated> end() {
        synchronized (this) {
            ended = true;
            notifyAll();
            boolean interrupted = false;
            while (running) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return Map.copyOf(inflated);
        }
    }

    @Override
    public void run() {
        try {
            pass();
        } catch (IOException | RuntimeException e) {
            LOG.debugf("early check of %s stopped: %s", file, e.getMessage());
        } finally {
            close();
            synchronized (this) {
                running = false;
                notifyAll();
            }
        }
    }

    private void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debugf(e, "closing %s", file);
        }
    }

    private void pass() throws IOException {
        ByteBuffer header = ByteBuffer.allocate(LOC_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        byte[] in = new byte[CHUNK];
        byte[] out = new byte[CHUNK];
        // one of each for all entries: a zip of many small files would spend more on making them than on inflating
        Inflater inflater = new Inflater(true);
        CRC32 crc = new CRC32();
        MessageDigest digest = hashing ? DirHash.fileDigest() : null;
        try {
            passOver(header, in, out, inflater, crc, digest);
        } finally {
            inflater.end();
        }
    }

    /** Local header after local header, until one it does not follow, the central directory, or the end. */
    private void passOver(ByteBuffer header, byte[] in, byte[] out, Inflater inflater, CRC32 crc, MessageDigest digest)
            throws IOException {
        long position = 0;
        long total = 0;
        int entries = 0;
        while (entries < MAX_ENTRIES) {
            header.clear();
            if (!readFully(header, position) || header.getInt(0) != ZipDirectory.LOC) {
                return; // the download ended, or this is the central directory (or not a zip this pass follows)
            }
            int flags = header.getShort(6) & 0xffff;
            int method = header.getShort(8) & 0xffff;
            long compressed = header.getInt(18) & 0xffffffffL;
            int nameLength = header.getShort(26) & 0xffff;
            int extraLength = header.getShort(28) & 0xffff;
            ByteBuffer extra = ByteBuffer.allocate(extraLength).order(ByteOrder.LITTLE_ENDIAN);
            if (!readFully(extra, position + LOC_LENGTH + nameLength) || hasZip64(extra)) {
                return;
            }
            boolean descriptor = (flags & 8) != 0;
            if (method != DEFLATED && (method != STORED || descriptor)) {
                return; // a stored entry's length is in its header, or nowhere this pass can see
            }
            long dataStart = position + LOC_LENGTH + nameLength + extraLength;
            crc.reset();
            inflater.reset();
            long[] sizes = method == DEFLATED
                    ? inflate(inflater, dataStart, crc, digest, in, out, maxUncompressed - total)
                    : copy(dataStart, compressed, crc, digest, in, maxUncompressed - total);
            if (sizes == null) {
                return;
            }
            long next = dataStart + sizes[0];
            if (descriptor) {
                ByteBuffer signature = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                if (!readFully(signature, next)) {
                    return;
                }
                next += signature.getInt(0) == DESCRIPTOR ? 16 : 12;
            }
            total += sizes[1];
            entries++;
            synchronized (this) {
                inflated.put(
                        position,
                        new Inflated(
                                method, sizes[0], crc.getValue(), sizes[1], digest == null ? null : digest.digest()));
            }
            position = next;
        }
    }

    private static boolean hasZip64(ByteBuffer extra) {
        for (int at = 0; at + 4 <= extra.limit(); ) {
            int id = extra.getShort(at) & 0xffff;
            int length = extra.getShort(at + 2) & 0xffff;
            if (id == ZIP64_EXTRA) {
                return true;
            }
            at += 4 + length;
        }
        return false;
    }

    /**
     * Inflates the deflated data from start as it arrives.
     *
     * @return the compressed bytes it took and its inflated size, or null when the pass stops
     */
    private long[] inflate(
            Inflater inflater, long start, CRC32 crc, MessageDigest digest, byte[] in, byte[] out, long room)
            throws IOException {
        try {
            long read = start;
            long size = 0;
            while (!inflater.finished()) {
                if (inflater.needsInput()) {
                    int n = readSome(in, read);
                    if (n <= 0) {
                        return null;
                    }
                    inflater.setInput(in, 0, n);
                    read += n;
                }
                int n = inflater.inflate(out);
                if (n == 0 && (inflater.needsDictionary() || (!inflater.needsInput() && !inflater.finished()))) {
                    return null;
                }
                size += n;
                if (size > room) {
                    return null;
                }
                crc.update(out, 0, n);
                if (digest != null) {
                    digest.update(out, 0, n);
                }
            }
            return new long[] {inflater.getBytesRead(), size};
        } catch (DataFormatException e) {
            return null;
        }
    }

    /** The stored data from start, length bytes, as it arrives; null when the pass stops. */
    private long[] copy(long start, long length, CRC32 crc, MessageDigest digest, byte[] in, long room)
            throws IOException {
        if (length > room) {
            return null;
        }
        long done = 0;
        while (done < length) {
            int n = readSome(in, start + done, (int) Math.min(in.length, length - done));
            if (n <= 0) {
                return null;
            }
            crc.update(in, 0, n);
            if (digest != null) {
                digest.update(in, 0, n);
            }
            done += n;
        }
        return new long[] {length, length};
    }

    /** Waits until bytes from position on have arrived; false when the download ended first (or the pass must stop). */
    private boolean awaitArrived(long position) {
        synchronized (this) {
            while (!ended && arrived <= position) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return !ended;
        }
    }

    private long arrivedSoFar() {
        synchronized (this) {
            return arrived;
        }
    }

    private boolean readFully(ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            long at = position + buffer.position();
            if (!awaitArrived(at)) {
                return false;
            }
            int room = (int) Math.min(buffer.remaining(), arrivedSoFar() - at);
            ByteBuffer slice = buffer.slice(buffer.position(), room);
            int n = channel.read(slice, at);
            if (n <= 0) {
                return false;
            }
            buffer.position(buffer.position() + n);
        }
        return true;
    }

    private int readSome(byte[] into, long position) throws IOException {
        return readSome(into, position, into.length);
    }

    /** Up to length bytes from position, once some have arrived; 0 when the pass stops. */
    private int readSome(byte[] into, long position, int length) throws IOException {
        if (!awaitArrived(position)) {
            return 0;
        }
        int room = (int) Math.min(length, arrivedSoFar() - position);
        int n = channel.read(ByteBuffer.wrap(into, 0, room), position);
        return Math.max(n, 0);
    }
}
