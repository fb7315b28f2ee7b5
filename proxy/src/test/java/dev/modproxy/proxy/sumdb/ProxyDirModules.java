package dev.modproxy.proxy.sumdb;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes module versions into a directory laid out as a GOPROXY serves them. */
public final class ProxyDirModules {

    private ProxyDirModules() {}

    /** Writes .info, .mod, .zip and the list for module@version with the given files besides go.mod. */
    public static Path write(Path proxyDir, String module, String version, Map<String, String> files)
            throws IOException {
        Path versions = proxyDir.resolve(SumDbVerifier.escape(module)).resolve("@v");
        Files.createDirectories(versions);
        String goMod = "module " + module + "\n\ngo 1.19\n";
        Files.writeString(versions.resolve(version + ".mod"), goMod);
        Files.writeString(
                versions.resolve(version + ".info"),
                "{\"Version\":\"" + version + "\",\"Time\":\"2024-01-02T03:04:05Z\"}\n");
        Map<String, String> all = new LinkedHashMap<>(files);
        all.put("go.mod", goMod);
        Path zip = versions.resolve(version + ".zip");
        try (OutputStream out = Files.newOutputStream(zip);
                ZipOutputStream zipOut = new ZipOutputStream(out, StandardCharsets.UTF_8)) {
            for (Map.Entry<String, String> file : all.entrySet()) {
                zipOut.putNextEntry(new ZipEntry(module + "@" + version + "/" + file.getKey()));
                zipOut.write(file.getValue().getBytes(StandardCharsets.UTF_8));
                zipOut.closeEntry();
            }
        }
        Path list = versions.resolve("list");
        String listed = Files.exists(list) ? Files.readString(list) : "";
        Files.writeString(list, listed + version + "\n");
        return zip;
    }
}
