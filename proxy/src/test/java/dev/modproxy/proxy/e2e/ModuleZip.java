package dev.modproxy.proxy.e2e;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes module zips in the format the go command verifies (go.dev/ref/mod#zip-files): every entry
 * is a file named `modulepath@version/relative/name` (the real path, not case-encoded), no directory
 * entries, and nothing from a subdirectory that holds its own go.mod (that is another module).
 */
final class ModuleZip {

    private static final long FIXED_TIME = 1_700_000_000_000L;

    private ModuleZip() {}

    /** The files of {@code version} that belong in its zip, keyed by full entry name, sorted. */
    static Map<String, byte[]> entries(GeneratedModule version) {
        Map<String, byte[]> entries = new TreeMap<>();
        String prefix = version.path() + "@" + version.version() + "/";
        version.files().forEach((name, content) -> {
            if (!insideNestedModule(name, version.files())) {
                entries.put(prefix + name, content);
            }
        });
        return entries;
    }

    static void write(GeneratedModule version, Path zip) throws IOException {
        try (OutputStream file = Files.newOutputStream(zip);
                ZipOutputStream out = new ZipOutputStream(file)) {
            for (Map.Entry<String, byte[]> e : entries(version).entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setTime(FIXED_TIME);
                byte[] content = e.getValue();
                if (content.length > 1 << 20) {
                    // Large fixture data is random: storing it keeps generation fast.
                    CRC32 crc = new CRC32();
                    crc.update(content);
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(content.length);
                    entry.setCompressedSize(content.length);
                    entry.setCrc(crc.getValue());
                }
                out.putNextEntry(entry);
                out.write(content);
                out.closeEntry();
            }
        }
    }

    /** The `h1:` hash the go command records in go.sum for this version's zip. */
    static String zipHash(GeneratedModule version) {
        return hash1(entries(version));
    }

    /** The `h1:` hash of this version's go.mod as recorded in go.sum (`path version/go.mod h1:...`). */
    static String goModHash(GeneratedModule version) {
        return hash1(Map.of("go.mod", version.goMod()));
    }

    // dirhash Hash1: SHA-256 over the sorted lines "<sha256 hex>  <name>\n".
    private static String hash1(Map<String, byte[]> files) {
        StringBuilder summary = new StringBuilder();
        new TreeMap<>(files)
                .forEach((name, content) -> summary.append(HexFormat.of().formatHex(sha256(content)))
                        .append("  ")
                        .append(name)
                        .append('\n'));
        return "h1:"
                + Base64.getEncoder().encodeToString(sha256(summary.toString().getBytes(StandardCharsets.UTF_8)));
    }

    static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean insideNestedModule(String name, Map<String, byte[]> files) {
        for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
            if (files.containsKey(name.substring(0, slash) + "/go.mod")) {
                return true;
            }
        }
        return false;
    }
}
