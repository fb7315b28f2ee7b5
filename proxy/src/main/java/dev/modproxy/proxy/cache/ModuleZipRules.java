package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import dev.modproxy.proxy.protocol.RequestKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A module zip must be what the go command will accept: every file under
 * {@code <path>@<version>/}, no '..' or absolute names, no two names equal ignoring case, at most
 * 500 MiB compressed and uncompressed, go.mod at most 16 MiB, and every entry's data matching its
 * recorded size and CRC-32.
 */
final class ModuleZipRules {

    private static final long MAX_ZIP_BYTES = RequestKind.ZIP.maxBytes();
    private static final long MAX_UNCOMPRESSED_BYTES = 500L << 20;
    /** A module's go.mod is no larger in its zip than on its own. */
    private static final long MAX_GO_MOD_BYTES = RequestKind.MOD.maxBytes();

    private ModuleZipRules() {}

    static void check(ModulePath module, ModuleVersion version, Path stagedFile) throws ArtifactRejectedException {
        String prefix = module.path() + "@" + version + "/";
        try {
            if (Files.size(stagedFile) > MAX_ZIP_BYTES) {
                throw new ArtifactRejectedException("module zip larger than " + MAX_ZIP_BYTES + " bytes");
            }
            try (ZipFile zip = new ZipFile(stagedFile.toFile())) {
                // entry name without a trailing slash, ignoring case -> the entry's name as written
                Map<String, String> seen = new HashMap<>();
                long total = 0;
                Enumeration<? extends ZipEntry> entries = zip.entries();
                while (entries.hasMoreElements()) {
                    ZipEntry entry = entries.nextElement();
                    String name = entry.getName();
                    checkName(name, prefix);
                    boolean directory = name.endsWith("/");
                    String key = (directory ? name.substring(0, name.length() - 1) : name).toLowerCase(Locale.ROOT);
                    String before = seen.putIfAbsent(key, name);
                    if (before != null && !(directory && before.equals(name))) {
                        // the go command allows a directory listed twice, not a file, nor a name that is both
                        throw new ArtifactRejectedException(
                                "module zip has two entries named " + name + " (ignoring case)");
                    }
                    long size = entry.getSize();
                    if (size < 0) {
                        throw new ArtifactRejectedException("module zip entry " + name + " has no recorded size");
                    }
                    if (name.equals(prefix + "go.mod") && size > MAX_GO_MOD_BYTES) {
                        throw new ArtifactRejectedException(
                                "go.mod in module zip larger than " + MAX_GO_MOD_BYTES + " bytes");
                    }
                    total += size;
                    if (total > MAX_UNCOMPRESSED_BYTES) {
                        throw new ArtifactRejectedException(
                                "module zip expands to more than " + MAX_UNCOMPRESSED_BYTES + " bytes");
                    }
                    checkContent(zip, entry);
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ArtifactRejectedException("not a valid zip file: " + e.getMessage(), e);
        }
    }

    /** The directory alone says nothing about the data: damaged bytes would be cached forever and fail every unzip. */
    private static void checkContent(ZipFile zip, ZipEntry entry) throws IOException, ArtifactRejectedException {
        CRC32 crc = new CRC32();
        long read = 0;
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = zip.getInputStream(entry)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                read += n;
                if (read > entry.getSize()) {
                    throw new ArtifactRejectedException(
                            "module zip entry " + entry.getName() + " holds more than its recorded size");
                }
                crc.update(buffer, 0, n);
            }
        }
        if (read != entry.getSize() || crc.getValue() != entry.getCrc()) {
            throw new ArtifactRejectedException(
                    "module zip entry " + entry.getName() + " is damaged: size or CRC-32 does not match");
        }
    }

    private static void checkName(String name, String prefix) throws ArtifactRejectedException {
        if (!name.startsWith(prefix)) {
            throw new ArtifactRejectedException("module zip file " + name + " is not under " + prefix);
        }
        String relative = name.substring(prefix.length());
        if (relative.isEmpty()) {
            return; // the module root's own directory entry, which the go command skips
        }
        if (relative.indexOf('\\') >= 0 || relative.indexOf('\0') >= 0 || relative.startsWith("/")) {
            throw new ArtifactRejectedException("module zip has an invalid file name " + name);
        }
        String[] segments = relative.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            boolean trailingDirSlash = i == segments.length - 1 && s.isEmpty();
            if ((s.isEmpty() && !trailingDirSlash) || s.equals(".") || s.equals("..")) {
                throw new ArtifactRejectedException("module zip has an invalid file name " + name);
            }
        }
    }
}
