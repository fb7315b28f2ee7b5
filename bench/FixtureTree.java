import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the benchmark's static GOPROXY tree: example.com/bench/{small,large,cold} at v1.0.0, each with
 * .info, .mod and a valid module zip whose size is dominated by incompressible, seeded random data.
 * Run with `java bench/FixtureTree.java OUTDIR`.
 */
public class FixtureTree {

    public static void main(String[] args) throws IOException {
        Path tree = Path.of(args[0]);
        write(tree, "example.com/bench/small", 1_000_000, 1);
        write(tree, "example.com/bench/large", 20_000_000, 2);
        write(tree, "example.com/bench/cold", 20_000_000, 3);
    }

    private static void write(Path tree, String module, int dataBytes, long seed) throws IOException {
        String version = "v1.0.0";
        Path dir = Files.createDirectories(tree.resolve(module).resolve("@v"));
        String goMod = "module " + module + "\n\ngo 1.19\n";
        Files.writeString(dir.resolve("list"), version + "\n");
        Files.writeString(dir.resolve(version + ".info"), "{\"Version\":\"v1.0.0\",\"Time\":\"2024-01-02T03:04:05Z\"}\n");
        Files.writeString(dir.resolve(version + ".mod"), goMod);
        byte[] data = new byte[dataBytes];
        new Random(seed).nextBytes(data);
        String name = module.substring(module.lastIndexOf('/') + 1);
        Map<String, byte[]> files = new TreeMap<>();
        files.put("go.mod", goMod.getBytes(StandardCharsets.UTF_8));
        files.put(name + ".go", ("package " + name + "\n").getBytes(StandardCharsets.UTF_8));
        files.put("data.bin", data);
        try (OutputStream out = Files.newOutputStream(dir.resolve(version + ".zip"));
             ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                ZipEntry entry = new ZipEntry(module + "@" + version + "/" + f.getKey());
                CRC32 crc = new CRC32();
                crc.update(f.getValue());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(f.getValue().length);
                entry.setCompressedSize(f.getValue().length);
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(f.getValue());
                zip.closeEntry();
            }
        }
    }
}
