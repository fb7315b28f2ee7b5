import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the benchmarks' static GOPROXY trees.
 *
 * <p>{@code java bench/FixtureTree.java OUTDIR}: example.com/bench/{tiny,small,large,cold} at v1.0.0 (zips of
 * about 16 KB, 1 MB, 20 MB and 20 MB: most real module zips are tens of kilobytes), each with
 * .info, .mod and a valid module zip whose size is dominated by incompressible, seeded random data
 * (bench/cache-hits.sh).
 *
 * <p>{@code java bench/FixtureTree.java --graph MODULES LAYERS OUTDIR}: a requirement graph for
 * bench/build.sh. OUTDIR/proxy holds MODULES modules example.com/graph/lLmN in LAYERS layers, each at
 * v1.0.0 and v1.1.0; a module requires three modules of the next layer (seeded choice, either version)
 * and its package imports them. OUTDIR/main is a module requiring the first layer. Every go.mod says
 * {@code go 1.16}, so the go command loads the whole graph, one layer of .mod files after the other,
 * the way it walks a real graph's transitive requirements.
 */
public class FixtureTree {

    private static final String TIME = "2024-01-02T03:04:05Z";

    public static void main(String[] args) throws IOException {
        if (args.length == 4 && args[0].equals("--graph")) {
            graph(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
            return;
        }
        Path tree = Path.of(args[0]);
        large(tree, "example.com/bench/tiny", 16_000, 4);
        large(tree, "example.com/bench/small", 1_000_000, 1);
        large(tree, "example.com/bench/large", 20_000_000, 2);
        large(tree, "example.com/bench/cold", 20_000_000, 3);
    }

    private static void large(Path tree, String module, int dataBytes, long seed) throws IOException {
        String goMod = "module " + module + "\n\ngo 1.19\n";
        byte[] data = new byte[dataBytes];
        new Random(seed).nextBytes(data);
        String name = module.substring(module.lastIndexOf('/') + 1);
        Map<String, byte[]> files = new TreeMap<>();
        files.put(name + ".go", ("package " + name + "\n").getBytes(StandardCharsets.UTF_8));
        files.put("data.bin", data);
        version(tree, module, "v1.0.0", goMod, files);
        Files.writeString(tree.resolve(module).resolve("@v/list"), "v1.0.0\n");
    }

    private static void graph(int modules, int layers, Path out) throws IOException {
        Random random = new Random(42);
        List<List<String>> layer = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            List<String> names = new ArrayList<>();
            for (int n = l; n < modules; n += layers) {
                names.add("l" + l + "m" + n);
            }
            layer.add(names);
        }
        Path tree = out.resolve("proxy");
        for (int l = 0; l < layers; l++) {
            for (String name : layer.get(l)) {
                String module = "example.com/graph/" + name;
                for (String version : List.of("v1.0.0", "v1.1.0")) {
                    Map<String, String> requires = l + 1 < layers ? pick(random, layer.get(l + 1), 3) : Map.of();
                    StringBuilder goMod = new StringBuilder("module " + module + "\n\ngo 1.16\n");
                    requires.forEach((dep, v) -> goMod.append("\nrequire example.com/graph/").append(dep).append(' ').append(v));
                    goMod.append('\n');
                    byte[] data = new byte[1024 + random.nextInt(63 * 1024)];
                    random.nextBytes(data);
                    Map<String, byte[]> files = new TreeMap<>();
                    files.put(name + ".go", source(name, requires.keySet()).getBytes(StandardCharsets.UTF_8));
                    files.put("data.bin", data);
                    version(tree, module, version, goMod.toString(), files);
                }
                Files.writeString(tree.resolve(module).resolve("@v/list"), "v1.0.0\nv1.1.0\n");
            }
        }
        Path main = Files.createDirectories(out.resolve("main"));
        StringBuilder goMod = new StringBuilder("module example.com/graph/main\n\ngo 1.16\n");
        for (String name : layer.get(0)) {
            goMod.append("\nrequire example.com/graph/").append(name).append(" v1.1.0");
        }
        Files.writeString(main.resolve("go.mod"), goMod.append('\n').toString());
        Files.writeString(main.resolve("main.go"), source("main", new TreeSet<>(layer.get(0)))
                .replace("func Name() string { return \"main\" }", "func main() {}"));
    }

    /** {@code count} distinct modules of {@code from}, each at v1.0.0 or v1.1.0. */
    private static Map<String, String> pick(Random random, List<String> from, int count) {
        Map<String, String> picked = new TreeMap<>();
        while (picked.size() < Math.min(count, from.size())) {
            picked.put(from.get(random.nextInt(from.size())), random.nextBoolean() ? "v1.0.0" : "v1.1.0");
        }
        return picked;
    }

    private static String source(String name, Iterable<String> imports) {
        StringBuilder source = new StringBuilder("package " + name + "\n\n");
        for (String dep : imports) {
            source.append("import _ \"example.com/graph/").append(dep).append("\"\n");
        }
        return source.append("\nfunc Name() string { return \"").append(name).append("\" }\n").toString();
    }

    /** One module version: .info, .mod and a zip holding go.mod and {@code files} (stored, not deflated). */
    private static void version(Path tree, String module, String version, String goMod, Map<String, byte[]> files)
            throws IOException {
        Path dir = Files.createDirectories(tree.resolve(module).resolve("@v"));
        Files.writeString(dir.resolve(version + ".info"), "{\"Version\":\"" + version + "\",\"Time\":\"" + TIME + "\"}\n");
        Files.writeString(dir.resolve(version + ".mod"), goMod);
        Map<String, byte[]> all = new TreeMap<>(files);
        all.put("go.mod", goMod.getBytes(StandardCharsets.UTF_8));
        try (OutputStream out = Files.newOutputStream(dir.resolve(version + ".zip"));
             ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> f : all.entrySet()) {
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
