package dev.modproxy.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds GOPROXY artifacts of generated modules. */
public final class Modules {

    private Modules() {}

    public static String info(String version) {
        return "{\"Version\":\"" + version + "\",\"Time\":\"2024-01-02T03:04:05Z\"}";
    }

    public static String goMod(String path) {
        return "module " + path + "\n\ngo 1.19\n";
    }

    /** A module zip with go.mod and one Go file, every entry under {@code path@version/}. */
    public static byte[] zip(String path, String version) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("go.mod", goMod(path));
        String pkg = path.substring(path.lastIndexOf('/') + 1).replaceAll("[^a-z]", "");
        files.put(
                pkg + ".go", "package " + pkg + "\n\nfunc Hello() string { return \"hello from " + version + "\" }\n");
        return zipOf(path + "@" + version + "/", files);
    }

    public static byte[] zipOf(String prefix, Map<String, String> files) {
        Map<String, byte[]> binary = new LinkedHashMap<>();
        files.forEach((name, text) -> binary.put(name, text.getBytes(StandardCharsets.UTF_8)));
        return zipOfBytes(prefix, binary);
    }

    /** {@link #zipOf} with files of any bytes. */
    public static byte[] zipOfBytes(String prefix, Map<String, byte[]> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(prefix + file.getKey()));
                zip.write(file.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Serves one complete module version (list, info, mod, zip, @latest) on the fake upstream. */
    public static void publish(FakeUpstream upstream, String path, String version) {
        String base = path.replaceAll("([A-Z])", "!$1").toLowerCase();
        upstream.on(base + "/@v/list", FakeUpstream.ok("text/plain", version + "\n"))
                .on(base + "/@latest", FakeUpstream.ok("application/json", info(version)))
                .on(base + "/@v/" + version + ".info", FakeUpstream.ok("application/json", info(version)))
                .on(base + "/@v/" + version + ".mod", FakeUpstream.ok("text/plain", goMod(path)))
                .on(base + "/@v/" + version + ".zip", FakeUpstream.ok("application/zip", zip(path, version)));
    }

    /** {@link #zipOf} with every entry stored, not deflated: its bytes are in the zip as they are (to damage them). */
    public static byte[] storedZipOf(String prefix, Map<String, String> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, String> file : files.entrySet()) {
                putStored(zip, prefix + file.getKey(), file.getValue().getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Adds an entry whose data are stored as they are, not deflated (its size and CRC-32 up front, as STORED needs). */
    public static void putStored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }

    /** A module zip with a well-formed directory over data that changed after its CRC-32 was recorded. */
    public static byte[] damagedZip(String path, String version) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("go.mod", goMod(path));
        files.put("lib.go", "package lib\n\nconst Greeting = \"hello\"\n");
        String text = new String(storedZipOf(path + "@" + version + "/", files), StandardCharsets.ISO_8859_1);
        return text.replace("\"hello\"", "\"HELLO\"").getBytes(StandardCharsets.ISO_8859_1);
    }
}
