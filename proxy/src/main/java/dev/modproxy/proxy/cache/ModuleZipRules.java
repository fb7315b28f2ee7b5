package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.checksum.DirHash;
import dev.modproxy.proxy.protocol.CaseEncoding;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import dev.modproxy.proxy.protocol.RequestKind;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A module zip must be what the go command will accept: every file under
 * {@code <path>@<version>/}, no '..' or absolute names, no two names equal ignoring case, at most
 * 500 MiB compressed and uncompressed, go.mod at most 16 MiB, and every entry's data matching its
 * recorded size and CRC-32. When a later verifier wants the zip's {@code h1:} hash, the same pass over the data
 * works it out ({@link StagedAnswer}).
 */
final class ModuleZipRules {

    private static final long MAX_ZIP_BYTES = RequestKind.ZIP.maxBytes();
    static final long MAX_UNCOMPRESSED_BYTES = 500L << 20;
    /** A module's go.mod is no larger in its zip than on its own. */
    private static final long MAX_GO_MOD_BYTES = RequestKind.MOD.maxBytes();
    /** The go command's limit for a module's LICENSE, as for its go.mod. */
    private static final long MAX_LICENSE_BYTES = 16L << 20;

    /**
     * Inflating every entry is most of a large zip's check, and its first client waits for the check before it gets
     * its last bytes: the benchmark graph's 69 MB zip is 496 MB in 18,327 files, 0.85 to 0.98 s on one core. So a
     * zip of {@link #SHARED_FROM} or more is checked in this many shares, one on the calling thread and the others
     * on {@link #INFLATERS}; most module zips are far smaller, and checked on the calling thread alone.
     */
    private static final int SHARES = Runtime.getRuntime().availableProcessors();

    static final long SHARED_FROM = 1 << 20;

    /** Checks the shares of large zips beyond their callers' own: a thread per further core. */
    private static final ExecutorService INFLATERS = inflaters();

    private ModuleZipRules() {}

    private static ExecutorService inflaters() {
        if (SHARES < 2) {
            return null;
        }
        ThreadPoolExecutor pool =
                new ThreadPoolExecutor(SHARES - 1, SHARES - 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "modproxy-zip-check");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * Heap the zip checks running at once may take for the directories they read: a quarter of the heap. Reading a
     * zip holds its whole central directory and a name per file; a 468 MB zip of three million empty files (a 230 MB
     * directory) ran a 128 MiB heap out of memory.
     */
    private static final DirectoryBudget BUDGET =
            new DirectoryBudget(Runtime.getRuntime().maxMemory() / 4);

    /** How many of a zip's first bytes {@link #checkStart} reads: a local file header's fixed part. */
    static final int START_LENGTH = EarlyZipCheck.LOC_LENGTH;

    /**
     * A module zip starts with its first entry's local header, or is an empty archive, which is its end record alone
     * (the go command writes them so, nothing before), and every entry of it has a name ({@code module@version/...}).
     * Read from the first bytes of a download, before any byte of it goes to a client: an answer that is no zip at
     * all, or a zip signature followed by nothing (a gzip-encoded body of zeros inflates to 500 MiB of it), is refused
     * then, with its reason, not after 500 MiB of it. An empty archive is shorter than these bytes and is checked
     * whole once it has arrived. An answer that is no zip at all is most likely a page put in its place, not the
     * upstream's zip ({@link NotAnAnswerException}: not remembered).
     *
     * @param start the first {@link #START_LENGTH} bytes
     */
    static void checkStart(byte[] start) throws ArtifactRejectedException {
        // read as EarlyZipCheck reads every local header after it
        ByteBuffer header = ByteBuffer.wrap(start).order(ByteOrder.LITTLE_ENDIAN);
        int signature = header.getInt(0);
        checkSignature(signature, start);
        // offset 26 of a local header: the entry's name length
        if (signature == ZipDirectory.LOC && (header.getShort(26) & 0xffff) == 0) {
            throw new ArtifactRejectedException(
                    "not a module zip: its first entry has no name (every file of a module zip is module@version/...)");
        }
    }

    private static void checkSignature(int signature, byte[] start) throws NotAnAnswerException {
        if (signature != ZipDirectory.LOC && signature != ZipDirectory.END) {
            throw new NotAnAnswerException("not a zip file: "
                    + (start.length < 4
                            ? "it is " + start.length + " bytes long"
                            : "it starts with the bytes "
                                    + HexFormat.ofDelimiter(" ").formatHex(start, 0, 4))
                    + ", not a local file header (50 4b 03 04) or an empty archive's end record (50 4b 05 06)");
        }
    }

    /**
     * The staged zip's signature, as {@link #checkStart} reads it from a download's first bytes: for an answer shorter
     * than those (an empty archive, or a short message that is no zip).
     */
    private static void checkSignature(Path stagedFile) throws IOException, ArtifactRejectedException {
        byte[] start;
        try (InputStream in = Files.newInputStream(stagedFile)) {
            start = in.readNBytes(4);
        }
        int signature = start.length < 4
                ? 0
                : ByteBuffer.wrap(start).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        checkSignature(signature, start);
    }

    static void check(ModulePath module, ModuleVersion version, StagedAnswer staged) throws ArtifactRejectedException {
        check(module, version, staged, BUDGET);
    }

    static void check(ModulePath module, ModuleVersion version, StagedAnswer staged, DirectoryBudget budget)
            throws ArtifactRejectedException {
        Path stagedFile = staged.file();
        try {
            long size = Files.size(stagedFile);
            if (size > MAX_ZIP_BYTES) {
                throw new ArtifactRejectedException("module zip larger than " + MAX_ZIP_BYTES + " bytes");
            }
            checkSignature(stagedFile);
            boolean hash = staged.zipHashWanted();
            ZipDirectory directory = ZipDirectory.read(stagedFile);
            long heap = directory.heapToCheck(hash);
            budget.take(heap);
            try {
                // the early pass stops at MAX_ENTRIES: a zip of far more files is not worth the directory's offsets
                InflatedEarly early =
                        staged.inflatedEarly().isEmpty() || directory.entries() > 2L * EarlyZipCheck.MAX_ENTRIES
                                ? InflatedEarly.NONE
                                : new InflatedEarly(directory.localHeaderOffsets(stagedFile), staged.inflatedEarly());
                String h1 = checkEntries(module, version, stagedFile, size < SHARED_FROM ? 1 : SHARES, hash, early);
                if (h1 != null) {
                    staged.zipHashIs(h1);
                }
            } finally {
                budget.give(heap);
            }
        } catch (InterruptedIOException e) {
            throw new CheckNotMadeException(e.getMessage(), e); // stopped, not judged: says nothing of the zip
        } catch (ZipException | EOFException | IllegalArgumentException e) {
            // what the bytes get wrong, as the zip reader and ZipDirectory say it: a directory or header that does not
            // parse, compressed data that ends early, a name that is not UTF-8
            throw new ArtifactRejectedException("not a valid zip file: " + e.getMessage(), e);
        } catch (IOException e) {
            // the staged file could not be read (gone, too many open files, a disk error, a channel closed by an
            // interrupt): nothing was learnt of the zip, and it is not remembered as refused
            throw CheckNotMadeException.unreadableStaged("zip", e);
        }
    }

    /**
     * Names and sizes of every entry, then (in shares, when more than one) their data.
     *
     * @return the zip's h1: hash when asked to work it out, else null
     */
    private static String checkEntries(
            ModulePath module, ModuleVersion version, Path stagedFile, int shares, boolean hash, InflatedEarly early)
            throws ArtifactRejectedException, IOException {
        String prefix = module.path() + "@" + version + "/";
        try (ZipFile zip = new ZipFile(stagedFile.toFile())) {
            // file or directory name, folded -> what it was, as the go command's collision check keeps them
            Map<String, Seen> seen = new HashMap<>();
            long total = 0;
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName();
                String relative = checkName(name, prefix);
                if (relative.isEmpty()) {
                    continue; // the module root's own directory entry, which the go command skips
                }
                boolean directory = relative.endsWith("/");
                String file = directory ? relative.substring(0, relative.length() - 1) : relative;
                checkCollision(seen, name, file, directory);
                long size = entry.getSize();
                if (size < 0) {
                    throw new ArtifactRejectedException("module zip entry " + name + " has no recorded size");
                }
                if (!directory && file.substring(file.lastIndexOf('/') + 1).equalsIgnoreCase("go.mod")) {
                    if (!file.equals("go.mod")) {
                        throw new ArtifactRejectedException("module zip file " + name
                                + ": a go.mod must be named go.mod and lie in the module root directory"
                                + " (the go command refuses the zip otherwise)");
                    }
                    if (size > MAX_GO_MOD_BYTES) {
                        throw new ArtifactRejectedException(
                                "go.mod in module zip larger than " + MAX_GO_MOD_BYTES + " bytes");
                    }
                }
                if (!directory && file.equals("LICENSE") && size > MAX_LICENSE_BYTES) {
                    throw new ArtifactRejectedException(
                            "LICENSE in module zip larger than " + MAX_LICENSE_BYTES + " bytes");
                }
                total += size;
                if (total > MAX_UNCOMPRESSED_BYTES) {
                    throw new ArtifactRejectedException(
                            "module zip expands to more than " + MAX_UNCOMPRESSED_BYTES + " bytes");
                }
            }
            return checkContents(zip, prefix, shares, hash, early);
        }
    }

    /**
     * Every entry's data against its recorded size and CRC-32 (but the module root's own directory entry), and when
     * asked the SHA-256 of every entry's data, of which the zip's h1: hash is made.
     *
     * @return the h1: hash when asked, else null
     */
    private static String checkContents(ZipFile zip, String prefix, int shares, boolean hash, InflatedEarly early)
            throws ArtifactRejectedException, IOException {
        List<Future<Map<String, byte[]>>> others = new ArrayList<>();
        for (int share = 1; share < shares; share++) {
            int mine = share;
            others.add(INFLATERS.submit(() -> checkShare(zip, prefix, mine, shares, hash, early)));
        }
        try {
            Map<String, byte[]> digests = checkShare(zip, prefix, 0, shares, hash, early);
            for (Future<Map<String, byte[]>> other : others) {
                Map<String, byte[]> theirs = other.get();
                if (digests != null) {
                    for (Map.Entry<String, byte[]> file : theirs.entrySet()) {
                        if (digests.put(file.getKey(), file.getValue()) != null) {
                            throw new ArtifactRejectedException("module zip has two entries named " + file.getKey());
                        }
                    }
                }
            }
            return digests == null ? null : DirHash.ofDigests(digests);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while checking a module zip");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ArtifactRejectedException rejected) {
                throw rejected;
            }
            if (e.getCause() instanceof IllegalArgumentException badName) {
                throw badName; // a name the reader cannot decode: the zip's fault, as on the calling thread
            }
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } finally {
            others.forEach(other -> other.cancel(true)); // the zip closes when this returns
        }
    }

    /**
     * Checks every shares-th entry, from the share-th on.
     *
     * @return when hashing, the SHA-256 of each of those entries' data by name (the module root's directory entry
     *     included, as the h1: hash takes every entry), else null
     */
    private static Map<String, byte[]> checkShare(
            ZipFile zip, String prefix, int share, int shares, boolean hash, InflatedEarly early)
            throws ArtifactRejectedException, IOException {
        byte[] buffer = new byte[64 * 1024];
        Map<String, byte[]> digests = hash ? new HashMap<>() : null;
        int index = 0;
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            ZipEntry entry = entries.nextElement();
            int at = index++;
            if (at % shares != share) {
                continue;
            }
            boolean root = entry.getName().equals(prefix);
            if (root && !hash) {
                continue;
            }
            EarlyZipCheck.Inflated inflated = early.matching(at, entry, hash);
            byte[] sha256;
            if (inflated != null) {
                sha256 = inflated.digest(); // the same bytes, inflated as they arrived: size and CRC-32 as recorded
            } else {
                MessageDigest digest = hash ? DirHash.fileDigest() : null;
                checkContent(zip, entry, buffer, !root, digest);
                sha256 = hash ? digest.digest() : null;
            }
            if (hash && digests.put(entry.getName(), sha256) != null) {
                throw new ArtifactRejectedException("module zip has two entries named " + entry.getName());
            }
        }
        return digests;
    }

    /**
     * The directory alone says nothing about the data: damaged bytes would be cached forever and fail every unzip.
     *
     * @param checkCrc compare the data with the entry's CRC-32 and that its size is the recorded one (no entry may
     *                 hold more than its recorded size: that bounds what inflating it takes)
     * @param digest   given the data too, when not null
     */
    private static void checkContent(ZipFile zip, ZipEntry entry, byte[] buffer, boolean checkCrc, MessageDigest digest)
            throws IOException, ArtifactRejectedException {
        CRC32 crc = new CRC32();
        long read = 0;
        try (InputStream in = zip.getInputStream(entry)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                read += n;
                if (read > entry.getSize()) { // the root directory's entry too: it is inflated for the hash
                    throw new ArtifactRejectedException(
                            "module zip entry " + entry.getName() + " holds more than its recorded size");
                }
                if (checkCrc) {
                    crc.update(buffer, 0, n);
                }
                if (digest != null) {
                    digest.update(buffer, 0, n);
                }
            }
        }
        if (checkCrc && (read != entry.getSize() || crc.getValue() != entry.getCrc())) {
            throw new ArtifactRejectedException(
                    "module zip entry " + entry.getName() + " is damaged: size or CRC-32 does not match");
        }
    }

    /**
     * What {@link EarlyZipCheck} inflated while the zip arrived, and where the central directory places each entry's
     * local header (null when it does not say plainly: then nothing early is taken).
     */
    private record InflatedEarly(long[] offsets, Map<Long, EarlyZipCheck.Inflated> byOffset) {

        static final InflatedEarly NONE = new InflatedEarly(null, Map.of());

        /**
         * The early result for the index-th entry of the directory, when the entry's local header is where that result
         * was read and the directory records the same method, compressed size, CRC-32 and size as it found (and it has
         * the hash when asked): then its data are the bytes the check would inflate, already inflated and matching.
         */
        EarlyZipCheck.Inflated matching(int index, ZipEntry entry, boolean hash) {
            if (offsets == null || index >= offsets.length) {
                return null;
            }
            EarlyZipCheck.Inflated inflated = byOffset.get(offsets[index]);
            boolean same = inflated != null
                    && inflated.method() == entry.getMethod()
                    && inflated.compressedSize() == entry.getCompressedSize()
                    && inflated.crc() == entry.getCrc()
                    && inflated.size() == entry.getSize()
                    && (!hash || inflated.digest() != null);
            return same ? inflated : null;
        }
    }

    /** A name already seen: the first spelling of it, and whether it was a directory. */
    private record Seen(String name, boolean directory) {}

    /**
     * The go command's collision check: no two names equal ignoring case, no name that is both a file and a
     * directory (a file's parent directories count as directories), a directory listed twice allowed.
     */
    private static void checkCollision(Map<String, Seen> seen, String entryName, String file, boolean directory)
            throws ArtifactRejectedException {
        String path = file;
        boolean isDirectory = directory;
        while (true) {
            Seen before = seen.putIfAbsent(fold(path), new Seen(path, isDirectory));
            if (before != null) {
                if (!before.name().equals(path)) {
                    throw new ArtifactRejectedException("module zip has two entries named " + before.name() + " and "
                            + path + " (equal ignoring case): " + entryName);
                }
                if (before.directory() != isDirectory) {
                    throw new ArtifactRejectedException(
                            "module zip entry " + path + " is both a file and a directory: " + entryName);
                }
                if (!isDirectory) {
                    throw new ArtifactRejectedException("module zip has two entries named " + entryName);
                }
                return; // a directory seen before: so were its parents
            }
            int slash = path.lastIndexOf('/');
            if (slash < 0) {
                return;
            }
            path = path.substring(0, slash);
            isDirectory = true;
        }
    }

    /**
     * Simple case folding, one code point at a time, as the go command compares names (unicode.SimpleFold). Java's
     * upper and lower case mappings agree with it but for the Turkish dotted capital I (U+0130) and dotless i
     * (U+0131): Java maps them to ASCII i and I, while simple case folding leaves each on its own, so to the go
     * command i.go, ı.go and İ.go are three files. Letters newer than this Java's Unicode fold by the go command's.
     * Two names fold alike exactly when encoding/json's foldName takes them for the same struct field, so {@link
     * TextAnswers} matches JSON keys by it too.
     */
    static String fold(String name) {
        StringBuilder folded = new StringBuilder(name.length());
        name.codePoints().forEach(c -> folded.appendCodePoint(foldOne(c)));
        return folded.toString();
    }

    private static int foldOne(int c) {
        if (c == '\u0130' || c == '\u0131') {
            return c;
        }
        return Character.isDefined(c) ? Character.toLowerCase(Character.toUpperCase(c)) : NewerUnicodeLetters.fold(c);
    }

    /**
     * Checks a zip entry's name as the go command does before it extracts anything (golang.org/x/mod's
     * module.CheckFilePath): under the prefix, a clean relative path whose elements are not empty, not all dots, do
     * not end in a dot, are not Windows reserved names, and hold only letters, digits, spaces and
     * {@code !#$%&()+,-.=@[]^_{}~}. A zip the go command would refuse must not be kept: every build would fail on it.
     *
     * @return the name below the prefix, with its trailing slash if it is a directory
     */
    private static String checkName(String name, String prefix) throws ArtifactRejectedException {
        if (!name.startsWith(prefix)) {
            throw new ArtifactRejectedException("module zip file " + name + " is not under " + prefix);
        }
        String relative = name.substring(prefix.length());
        if (relative.isEmpty()) {
            return relative;
        }
        String file = relative.endsWith("/") ? relative.substring(0, relative.length() - 1) : relative;
        String problem = filePathProblem(file);
        if (problem != null) {
            throw new ArtifactRejectedException("module zip has an invalid file name " + CaseEncoding.quote(name) + ": "
                    + problem + " (the go command refuses the zip)");
        }
        return relative;
    }

    /** Why the go command refuses this path of a file in a module, or null when it accepts it. */
    static String filePathProblem(String path) {
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("//")) {
            return "empty path element";
        }
        for (String element : path.split("/", -1)) {
            if (element.chars().allMatch(c -> c == '.')) {
                return "invalid path element " + CaseEncoding.quote(element);
            }
            if (element.endsWith(".")) {
                return "trailing dot in path element";
            }
            for (int i = 0; i < element.length(); ) {
                int c = element.codePointAt(i);
                if (!fileNameCharOk(c)) {
                    return "invalid char " + CaseEncoding.quote(new String(Character.toChars(c)));
                }
                i += Character.charCount(c);
            }
            int dot = element.indexOf('.');
            String shortName = dot >= 0 ? element.substring(0, dot) : element;
            if (ModulePath.reservedOnWindows(shortName)) {
                return CaseEncoding.quote(shortName) + " disallowed as path element component on Windows";
            }
        }
        return null;
    }

    /**
     * The go command's fileNameOK: ASCII letters, digits, space and some punctuation; any other Unicode letter, of the
     * go command's Unicode (15.0), which knows letters this Java may not (Java 17: 13.0), and not those a newer Java
     * knows (JDK 22 and later: 15.1, JDK 25: 16.0), which the go command refuses.
     */
    private static boolean fileNameCharOk(int c) {
        if (c < 0x80) {
            return (c >= '0' && c <= '9')
                    || (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || "!#$%&()+,-.=@[]^_{}~ ".indexOf(c) >= 0;
        }
        return Character.isLetter(c)
                ? !NewerUnicodeLetters.afterTheGoCommands(c)
                : !Character.isDefined(c) && NewerUnicodeLetters.contains(c);
    }
}
