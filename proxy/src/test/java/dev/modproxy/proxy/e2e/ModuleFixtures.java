package dev.modproxy.proxy.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Generates Go modules and a static GOPROXY tree serving them (`list`, `@latest`, `.info`, `.mod`,
 * `.zip`), plus a main module whose build needs all of them. The set covers what a cache must get
 * right: case-encoded paths, a /v2 major version, a +incompatible version without go.mod, nested
 * modules, a dependency of a dependency, a pre-release that @latest must skip and a zip over 50 MB.
 */
final class ModuleFixtures {

    static final int BIG_DATA_BYTES = 52 * 1024 * 1024;
    static final String EXPECTED_PROGRAM_OUTPUT =
            "Upper/Mod v1.0.0|a v1.0.0|a/b v1.0.0|big v1.0.0|inc v2.0.0+incompatible|lib v2.1.0 with leaf v1.1.0";

    private static final Instant T0 = Instant.parse("2024-01-02T03:04:05Z");

    private final Path root;
    private final List<GeneratedModule> shaped = new ArrayList<>();
    private final List<GeneratedModule> fillers = new ArrayList<>();

    private ModuleFixtures(Path root) {
        this.root = root;
    }

    /** Generates the fixture set under {@code root}, with {@code fillerModules} extra small modules (256 KiB each). */
    static ModuleFixtures generate(Path root, int fillerModules) throws IOException {
        ModuleFixtures f = new ModuleFixtures(root);
        f.defineShapedModules();
        for (int i = 0; i < fillerModules; i++) {
            String path = String.format("example.com/fill/m%02d", i);
            f.fillers.add(new GeneratedModule(
                    path,
                    "v1.0.0",
                    T0,
                    Map.of(
                            "go.mod", goMod(path, ""),
                            "fill.go", text("package m%02d\n", i),
                            "data.bin", randomBytes(256 * 1024, 1000 + i))));
        }
        f.writeProxyTree();
        f.writeMainModule();
        return f;
    }

    private void defineShapedModules() {
        String[] leafVersions = {"v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0-rc.1"};
        for (int i = 0; i < leafVersions.length; i++) {
            String v = leafVersions[i];
            shaped.add(new GeneratedModule(
                    "example.com/leaf",
                    v,
                    T0.plusSeconds(86_400L * i),
                    Map.of(
                            "go.mod", goMod("example.com/leaf", ""),
                            "leaf.go", text("package leaf\n\nfunc Version() string { return \"%s\" }\n", v))));
        }
        shaped.add(
                new GeneratedModule(
                        "example.com/lib/v2",
                        "v2.1.0",
                        T0,
                        Map.of(
                                "go.mod", goMod("example.com/lib/v2", "require example.com/leaf v1.1.0\n"),
                                "lib.go",
                                        text(
                                                "package lib\n\nimport \"example.com/leaf\"\n\n"
                                                        + "func Describe() string { return \"lib v2.1.0 with leaf \" + leaf.Version() }\n"))));
        shaped.add(new GeneratedModule(
                "example.com/Upper/Mod",
                "v1.0.0",
                T0,
                Map.of(
                        "go.mod", goMod("example.com/Upper/Mod", ""),
                        "mod.go", text("package mod\n\nfunc Name() string { return \"Upper/Mod v1.0.0\" }\n"))));
        // No go.mod: the go command accepts v2+ only as +incompatible, and the proxy synthesizes the .mod.
        shaped.add(new GeneratedModule(
                "example.com/inc",
                "v2.0.0+incompatible",
                T0,
                Map.of("inc.go", text("package inc\n\nfunc Name() string { return \"inc v2.0.0+incompatible\" }\n"))));
        // One repository, two modules: example.com/a's zip must leave out b/, which is example.com/a/b.
        Map<String, byte[]> repoA = Map.of(
                "go.mod", goMod("example.com/a", ""),
                "a.go", text("package a\n\nfunc Name() string { return \"a v1.0.0\" }\n"),
                "b/go.mod", goMod("example.com/a/b", ""),
                "b/b.go", text("package b\n\nfunc Name() string { return \"a/b v1.0.0\" }\n"));
        shaped.add(new GeneratedModule("example.com/a", "v1.0.0", T0, repoA));
        shaped.add(new GeneratedModule("example.com/a/b", "v1.0.0", T0, subtree(repoA, "b/")));
        shaped.add(new GeneratedModule(
                "example.com/big",
                "v1.0.0",
                T0,
                Map.of(
                        "go.mod", goMod("example.com/big", ""),
                        "big.go", text("package big\n\nfunc Name() string { return \"big v1.0.0\" }\n"),
                        "data.bin", randomBytes(BIG_DATA_BYTES, 42))));
    }

    /** The GOPROXY tree to serve as an upstream: files named by their URL path. */
    Path proxyTree() {
        return root.resolve("proxy");
    }

    /** Every module version except the fillers. */
    List<GeneratedModule> shaped() {
        return List.copyOf(shaped);
    }

    List<GeneratedModule> fillers() {
        return List.copyOf(fillers);
    }

    List<GeneratedModule> all() {
        List<GeneratedModule> all = new ArrayList<>(shaped);
        all.addAll(fillers);
        return all;
    }

    GeneratedModule version(String path, String version) {
        return all().stream()
                .filter(m -> m.path().equals(path) && m.version().equals(version))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no fixture " + path + "@" + version));
    }

    /** The URL paths of the immutable artifacts (.info, .mod, .zip) of {@code version}. */
    static List<String> artifactPaths(GeneratedModule version) {
        String base = version.protocolBase();
        return List.of(base + ".info", base + ".mod", base + ".zip");
    }

    /** The upstream's bytes for a URL path of the tree. */
    byte[] upstreamBytes(String urlPath) throws IOException {
        return Files.readAllBytes(proxyTree().resolve(urlPath.substring(1)));
    }

    /** Copies the main module (which requires every shaped module) into {@code dir}. */
    void copyMainModuleTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (var files = Files.list(root.resolve("app"))) {
            for (Path f : files.collect(Collectors.toList())) {
                Files.copy(f, dir.resolve(f.getFileName().toString()));
            }
        }
    }

    private void writeProxyTree() throws IOException {
        Map<String, List<GeneratedModule>> byPath = new LinkedHashMap<>();
        all().forEach(m ->
                byPath.computeIfAbsent(m.path(), p -> new ArrayList<>()).add(m));
        for (Map.Entry<String, List<GeneratedModule>> e : byPath.entrySet()) {
            Path moduleDir = proxyTree().resolve(GeneratedModule.caseEncode(e.getKey()));
            Files.createDirectories(moduleDir.resolve("@v"));
            StringBuilder list = new StringBuilder();
            GeneratedModule latest = e.getValue().get(0);
            for (GeneratedModule m : e.getValue()) {
                list.append(m.version()).append('\n');
                if (!m.version().contains("-")) {
                    latest = m;
                }
                Path base = proxyTree().resolve(m.protocolBase().substring(1));
                Files.writeString(Path.of(base + ".info"), m.info());
                Files.write(Path.of(base + ".mod"), m.goMod());
                ModuleZip.write(m, Path.of(base + ".zip"));
            }
            Files.writeString(moduleDir.resolve("@v/list"), list);
            Files.writeString(moduleDir.resolve("@latest"), latest.info());
        }
    }

    private void writeMainModule() throws IOException {
        Path app = Files.createDirectories(root.resolve("app"));
        StringBuilder require = new StringBuilder("require (\n");
        for (GeneratedModule m : shaped) {
            if (!m.path().equals("example.com/leaf")) {
                require.append('\t')
                        .append(m.path())
                        .append(' ')
                        .append(m.version())
                        .append('\n');
            }
        }
        require.append(")\n");
        Files.write(app.resolve("go.mod"), goMod("example.com/app", require.toString()));
        Files.writeString(
                app.resolve("main.go"),
                "package main\n\n"
                        + "import (\n\t\"fmt\"\n\n"
                        + "\tmod \"example.com/Upper/Mod\"\n\t\"example.com/a\"\n\t\"example.com/a/b\"\n"
                        + "\t\"example.com/big\"\n\t\"example.com/inc\"\n\tlib \"example.com/lib/v2\"\n)\n\n"
                        + "func main() {\n"
                        + "\tfmt.Println(mod.Name() + \"|\" + a.Name() + \"|\" + b.Name() + \"|\" + big.Name() + \"|\" +"
                        + " inc.Name() + \"|\" + lib.Describe())\n}\n");
    }

    private static Map<String, byte[]> subtree(Map<String, byte[]> files, String dir) {
        Map<String, byte[]> sub = new LinkedHashMap<>();
        files.forEach((name, content) -> {
            if (name.startsWith(dir)) {
                sub.put(name.substring(dir.length()), content);
            }
        });
        return sub;
    }

    private static byte[] goMod(String path, String requirements) {
        return text("module %s\n\ngo 1.19\n%s", path, requirements.isEmpty() ? "" : "\n" + requirements);
    }

    private static byte[] text(String format, Object... args) {
        return String.format(format, args).getBytes(StandardCharsets.UTF_8);
    }

    // Incompressible, yet the same on every run: a seeded generator is fast and deterministic.
    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
