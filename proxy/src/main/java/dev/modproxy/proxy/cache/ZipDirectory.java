package dev.modproxy.proxy.cache;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.ZipException;

/**
 * What a zip's end record says of its central directory (ZIP64 included): how many entries it lists and how many
 * bytes it takes. Read from the file's last 64 KiB before anything reads the directory itself, so that a zip of
 * millions of empty files is refused for its size before its directory is loaded. What the bytes get wrong is a
 * {@link ZipException}, as java.util.zip's reader says it; any other IOException is the file's reading failing.
 */
record ZipDirectory(long entries, long bytes, long position, long offset) {

    /** The end record's signature: all an empty archive holds. */
    static final int END = 0x06054b50;

    private static final int END_LENGTH = 22;
    private static final int LOCATOR = 0x07064b50;
    private static final int LOCATOR_LENGTH = 20;
    private static final int END64 = 0x06064b50;
    private static final int END64_LENGTH = 56;
    private static final int MAX_COMMENT = 0xffff;
    private static final int CEN = 0x02014b50;
    private static final int CEN_LENGTH = 46;
    /** A local file header's signature (also what EarlyZipCheck follows the zip by). */
    static final int LOC = 0x04034b50;
    /** Heap a checked entry takes besides its directory record: its name twice, a map node, the reader's index. */
    private static final long HEAP_PER_ENTRY = 256;

    /** Heap an entry's SHA-256 takes while the zip's h1: hash is made: the digest, its name in UTF-8, map nodes. */
    private static final long HEAP_PER_DIGEST = 192;

    /**
     * Where each entry's local header is, in the directory's order (the order java.util.zip.ZipFile lists them in),
     * or null when that is not plain to see: bytes before the first entry (so offsets would be shifted), ZIP64
     * offsets, a directory that does not parse. The check takes what {@link EarlyZipCheck} inflated only by these.
     */
    long[] localHeaderOffsets(Path zip) throws IOException {
        if (position != offset || entries > Integer.MAX_VALUE) {
            return null;
        }
        long[] offsets = new long[(int) entries];
        try (FileChannel file = FileChannel.open(zip, StandardOpenOption.READ)) {
            InputStream in = new BufferedInputStream(Channels.newInputStream(file.position(position)), 64 * 1024);
            byte[] header = new byte[CEN_LENGTH];
            ByteBuffer fields = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            long read = 0;
            for (int i = 0; i < offsets.length; i++) {
                if (in.readNBytes(header, 0, CEN_LENGTH) != CEN_LENGTH || fields.getInt(0) != CEN) {
                    return null;
                }
                long local = fields.getInt(42) & 0xffffffffL;
                if (local == 0xffffffffL) {
                    return null; // in a ZIP64 extra field
                }
                offsets[i] = local;
                long skip = (fields.getShort(28) & 0xffff)
                        + (fields.getShort(30) & 0xffff)
                        + (fields.getShort(32) & 0xffff);
                try {
                    in.skipNBytes(skip);
                } catch (EOFException e) {
                    return null; // shorter than its end record says: the check's own reading judges it
                }
                read += CEN_LENGTH + skip;
                if (read > bytes) {
                    return null;
                }
            }
        }
        return offsets;
    }

    /**
     * The heap a check of this zip takes while it reads the directory: the directory, and a name per entry; and a
     * digest per entry when the check also makes the zip's hash.
     */
    long heapToCheck(boolean hashing) {
        return bytes + entries * (HEAP_PER_ENTRY + (hashing ? HEAP_PER_DIGEST : 0));
    }

    /**
     * Finds the end record the JDK's zip reader will use (java.util.zip.ZipFile's findEND: the last one whose
     * comment reaches the end of the file, or whose directory and first entry start with their signatures; its ZIP64
     * record when a locator points to one that agrees), so the sizes checked are the sizes the reader allocates.
     */
    static ZipDirectory read(Path zip) throws IOException {
        try (FileChannel file = FileChannel.open(zip, StandardOpenOption.READ)) {
            long size = file.size();
            int tail = (int) Math.min(size, END_LENGTH + MAX_COMMENT);
            long tailStart = size - tail;
            ByteBuffer buffer = readFully(file, tailStart, tail);
            for (int at = tail - END_LENGTH; at >= 0; at--) {
                if (buffer.getInt(at) != END) {
                    continue;
                }
                long endPosition = tailStart + at;
                long entries = buffer.getShort(at + 10) & 0xffff;
                long bytes = buffer.getInt(at + 12) & 0xffffffffL;
                long offset = buffer.getInt(at + 16) & 0xffffffffL;
                int comment = buffer.getShort(at + 20) & 0xffff;
                if (endPosition + END_LENGTH + comment != size) {
                    long directory = endPosition - bytes;
                    long first = directory - offset;
                    if (directory < 0
                            || first < 0
                            || signature(file, directory) != CEN
                            || signature(file, first) != LOC) {
                        continue;
                    }
                }
                long directoryEnd = endPosition;
                if (endPosition >= LOCATOR_LENGTH) {
                    ByteBuffer locator = readFully(file, endPosition - LOCATOR_LENGTH, LOCATOR_LENGTH);
                    long end64 = locator.getInt(0) == LOCATOR ? locator.getLong(8) : -1;
                    if (end64 >= 0 && end64 <= size - END64_LENGTH) {
                        ByteBuffer record = readFully(file, end64, END64_LENGTH);
                        long entries64 = record.getLong(32);
                        long bytes64 = record.getLong(40);
                        long offset64 = record.getLong(48);
                        if (record.getInt(0) == END64
                                && (entries64 == entries || entries == 0xffff)
                                && (bytes64 == bytes || bytes == 0xffffffffL)
                                && (offset64 == offset || offset == 0xffffffffL)) {
                            entries = entries64;
                            bytes = bytes64;
                            offset = offset64;
                            directoryEnd = end64;
                        }
                    }
                }
                if (bytes < 0 || bytes > size) {
                    throw new ZipException("zip end record names a central directory larger than the file");
                }
                if (entries < 0 || entries > bytes / CEN_LENGTH) {
                    throw new ZipException("zip end record claims " + entries + " entries in a central directory of "
                            + bytes + " bytes");
                }
                return new ZipDirectory(entries, bytes, directoryEnd - bytes, offset);
            }
            throw new ZipException("zip END header not found");
        }
    }

    private static int signature(FileChannel file, long position) throws IOException {
        if (position > file.size() - 4) {
            return 0;
        }
        return readFully(file, position, 4).getInt(0);
    }

    private static ByteBuffer readFully(FileChannel file, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (file.read(buffer, position + buffer.position()) < 0) {
                throw new ZipException("zip shorter than its end record says");
            }
        }
        return buffer.flip();
    }
}
