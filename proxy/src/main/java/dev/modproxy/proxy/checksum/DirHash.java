package dev.modproxy.proxy.checksum;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The go command's "h1:" hash of a set of files: SHA-256 over the lines
 * "&lt;sha256 hex of file&gt;  &lt;file name&gt;\n" sorted by name, in standard base64.
 * A module zip is hashed over its entries' full names ("&lt;module&gt;@&lt;version&gt;/..."); a
 * go.mod alone as one file named "go.mod".
 */
public final class DirHash {

    private DirHash() {}

    public static String ofZip(Path zip) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        try (ZipFile zipFile = new ZipFile(zip.toFile(), StandardCharsets.UTF_8)) {
            Enumeration<? extends ZipEntry> entries = zipFile.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                try (InputStream in = zipFile.getInputStream(entry)) {
                    if (files.put(entry.getName(), digest(in)) != null) {
                        throw new ZipException("duplicate file " + entry.getName() + " in module zip");
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            throw new ZipException("file name in module zip is not UTF-8");
        }
        return ofDigests(files);
    }

    /**
     * The hash of files given by their names and the SHA-256 ({@link #fileDigest()}) of their contents, for a caller
     * that has read every file already.
     */
    public static String ofDigests(Map<String, byte[]> sha256ByName) throws ZipException {
        // Go sorts names as UTF-8 bytes, which String's UTF-16 order does not match.
        Map<byte[], byte[]> files = new TreeMap<>(Arrays::compareUnsigned);
        sha256ByName.forEach((name, digest) -> files.put(name.getBytes(StandardCharsets.UTF_8), digest));
        return h1(files);
    }

    public static String ofGoMod(Path goMod) throws IOException {
        try (InputStream in = Files.newInputStream(goMod)) {
            return ofGoMod(in);
        }
    }

    public static String ofGoMod(InputStream goMod) throws IOException {
        return ofDigests(Map.of("go.mod", digest(goMod)));
    }

    private static String h1(Map<byte[], byte[]> files) throws ZipException {
        MessageDigest summary = sha256();
        HexFormat hex = HexFormat.of();
        for (Map.Entry<byte[], byte[]> file : files.entrySet()) {
            for (byte b : file.getKey()) {
                if (b == '\n') {
                    throw new ZipException("file name with a newline cannot be hashed");
                }
            }
            summary.update(hex.formatHex(file.getValue()).getBytes(StandardCharsets.US_ASCII));
            summary.update("  ".getBytes(StandardCharsets.US_ASCII));
            summary.update(file.getKey());
            summary.update((byte) '\n');
        }
        return "h1:" + Base64.getEncoder().encodeToString(summary.digest());
    }

    private static byte[] digest(InputStream in) throws IOException {
        MessageDigest sha = fileDigest();
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) > 0; ) {
            sha.update(buffer, 0, n);
        }
        return sha.digest();
    }

    /** The digest the hash takes of each file's content: SHA-256. */
    public static MessageDigest fileDigest() {
        return sha256();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
