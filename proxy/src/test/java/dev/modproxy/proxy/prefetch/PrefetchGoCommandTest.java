package dev.modproxy.proxy.prefetch;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxySettings;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoBinary;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real go command ({@link GoBinary}) downloads a module graph through the proxy with prefetching on. */
class PrefetchGoCommandTest {

    @TempDir
    Path dir;

    FakeUpstream upstream;
    ProxyUnderTest proxy;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** Upstream requests per path, counted by the fake upstream's own behaviours. */
    final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        // an unpruned chain a -> b -> c (go 1.16: the go command reads every go.mod below a) and a pruned r -> s
        publish("example.com/a", "1.16", "example.com/b");
        publish("example.com/b", "1.16", "example.com/c");
        publish("example.com/c", "1.16");
        publish("example.com/r", "1.21", "example.com/s");
        publish("example.com/s", "1.21");
        proxy = new ProxyUnderTest(
                upstream.url(),
                dir.resolve("cache"),
                ProxyUnderTest.options()
                        .registry(registry)
                        .prefetch(new ProxySettings.Prefetch(
                                true, 8, "256Mi", "16Mi", 1000, Duration.ofSeconds(30), Duration.ofMinutes(10))));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    private void publish(String path, String goVersion, String... requires) {
        StringBuilder goMod = new StringBuilder("module " + path + "\n\ngo " + goVersion + "\n");
        for (String r : requires) {
            goMod.append("\nrequire ").append(r).append(" v1.0.0\n");
        }
        Map<String, String> files = new LinkedHashMap<>();
        files.put("go.mod", goMod.toString());
        String pkg = path.substring(path.lastIndexOf('/') + 1);
        files.put(pkg + ".go", "package " + pkg + "\n");
        serve(
                path + "/@v/v1.0.0.info",
                "application/json",
                Modules.info("v1.0.0").getBytes(StandardCharsets.UTF_8));
        serve(path + "/@v/v1.0.0.mod", "text/plain", goMod.toString().getBytes(StandardCharsets.UTF_8));
        serve(path + "/@v/v1.0.0.zip", "application/zip", Modules.zipOf(path + "@v1.0.0/", files));
    }

    private void serve(String path, String type, byte[] body) {
        FakeUpstream.Behaviour ok = FakeUpstream.ok(type, body);
        upstream.on(path, exchange -> {
            asked.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            ok.answer(exchange);
        });
    }

    private double prefetchesUsed() {
        return registry.find("modproxy.prefetch.used").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    /** What a go command printed (standard output and error together) and how it ended. */
    private record GoRun(int exitCode, String output) {}

    /** Runs the go command in {@code work} with its GOPATH, module cache and build cache under {@code home}. */
    private GoRun go(Path home, Path work, String... args) throws Exception {
        return go(Map.of(), home, work, args);
    }

    private GoRun go(Map<String, String> moreEnv, Path home, Path work, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(GoBinary.path().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        GoBinary.isolate(env, home);
        env.put("GOPROXY", proxy.url());
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", home.resolve("gopath").resolve("mod").toString());
        env.put("GOCACHE", home.resolve("gocache").toString());
        env.put("GOSUMDB", "off");
        env.put("GOFLAGS", "-mod=mod -modcacherw");
        env.putAll(moreEnv);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "go finished in time");
        return new GoRun(process.exitValue(), output);
    }

    private double prefetches(String counter, String kind) {
        Counter found = registry.find(counter).tag("kind", kind).counter();
        return found == null ? 0 : found.count();
    }

    @Test
    void goModDownloadAllWorksWithPrefetchingAndUsesWhatWasPrefetched() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.writeString(
                work.resolve("go.mod"),
                "module example.com/main\n\ngo 1.16\n\n"
                        + "require (\n\texample.com/a v1.0.0\n\texample.com/r v1.0.0\n)\n");
        GoRun run = go(dir, work, "mod", "download", "all");
        String output = run.output();
        assertEquals(0, run.exitCode(), output);

        List<String> missing = new ArrayList<>();
        for (String module : List.of("a", "b", "c", "r", "s")) {
            Path zip = dir.resolve("gopath/mod/cache/download/example.com/" + module + "/@v/v1.0.0.zip");
            if (!Files.isRegularFile(zip)) {
                missing.add(module);
            }
        }
        assertEquals(List.of(), missing, "every module of the graph downloaded: " + output);
        assertTrue(prefetchesUsed() >= 5, "the go command got prefetched artifacts: " + prefetchesUsed());
        await().atMost(Duration.ofSeconds(20))
                .until(() -> proxy.assembly.prefetcher().orElseThrow().idle());
        asked.forEach((path, n) ->
                assertEquals(1, n.get(), path + " was fetched from the upstream once, client or prefetch"));
        // no query here: zips are prefetched as ever, and each one prefetched is one the go command downloaded
        double zips = prefetches("modproxy.prefetch.issued", "zip");
        assertTrue(zips >= 1, "zips prefetched for a cold download: " + zips);
        assertEquals(zips, prefetches("modproxy.prefetch.used", "zip"), "every prefetched zip was used");
    }

    @Test
    void goModDownloadFindsEachGoModAskedBesideItsInfoSoAModuleCostsOneRoundTripNotTwo() throws Exception {
        // The main module requires q, whose pruned go.mod requires p0..p5: the go command reads q's go.mod to
        // load the graph, and for the download asks each p's .info and then its .mod, one after the other. The
        // upstream answers a p's .info only once that p's .mod was asked too: a .mod asked only after its .info
        // arrived would leave the .info unanswered until the upstream gives up (504, and the command fails).
        List<String> modules = List.of("p0", "p1", "p2", "p3", "p4", "p5");
        List<String> paths = new ArrayList<>();
        for (String module : modules) {
            String path = "example.com/" + module;
            paths.add(path);
            publish(path, "1.21");
            upstream.on(
                    path + "/@v/v1.0.0.info",
                    upstream.onceAsked(
                            path + "/@v/v1.0.0.mod", FakeUpstream.ok("application/json", Modules.info("v1.0.0"))));
        }
        publish("example.com/q", "1.21", paths.toArray(String[]::new));
        Path work = mainModuleRequiringQ("pairs");

        GoRun run = go(dir.resolve("pairs-home"), work, "mod", "download", "all");

        assertEquals(0, run.exitCode(), run.output());
        // each p's .mod came from a prefetch the client then used: the client asked for it after its .info
        assertEquals(modules.size(), prefetches("modproxy.prefetch.issued", "mod"), "p .mods prefetched");
        assertEquals(modules.size(), prefetches("modproxy.prefetch.used", "mod"), "p .mods prefetched and used");
        for (String module : modules) {
            Path download = dir.resolve("pairs-home/gopath/mod/cache/download/example.com/" + module + "/@v/");
            assertTrue(Files.isRegularFile(download.resolve("v1.0.0.mod")), module + ".mod downloaded");
            assertTrue(Files.isRegularFile(download.resolve("v1.0.0.zip")), module + ".zip downloaded");
        }
    }

    /** q (pruned) requires p0..p5, each pruned and requiring nothing; returns p0..p5's paths. */
    private List<String> publishQRequiringSix() {
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            paths.add("example.com/p" + i);
            publish(paths.get(i), "1.21");
        }
        publish("example.com/q", "1.21", paths.toArray(String[]::new));
        return paths;
    }

    /** A main module (go 1.21) in dir/name requiring q v1.0.0, with a program importing q. */
    private Path mainModuleRequiringQ(String name) throws IOException {
        Path work = Files.createDirectories(dir.resolve(name));
        Files.writeString(
                work.resolve("go.mod"), "module example.com/main\n\ngo 1.21\n\nrequire example.com/q v1.0.0\n");
        Files.writeString(work.resolve("main.go"), "package main\n\nimport _ \"example.com/q\"\n\nfunc main() {}\n");
        return work;
    }

    /** go build of the main module in work, with its caches under home. */
    private GoRun build(Path home, Path work) throws Exception {
        return go(home, work, "build", "-o", dir.resolve("main").toString(), ".");
    }

    @Test
    void goListAllFindsTheBuildListPrefetchedOnceItAsksForTheFirstModuleBelowTheGraphsGoMods() throws Exception {
        // The main module requires q, whose pruned go.mod requires p0..p5: the go command reads q's go.mod to load
        // the graph, then asks each module's .info and .mod in path order, here one at a time (GOMAXPROCS=1).
        // The upstream answers p0's .info only once p5's was asked: the proxy has to see, at p0, that the client
        // walks q's requirements and fetch the rest ahead of it (else p0's .info is unanswered until the
        // upstream gives up: 504, and go list fails).
        List<String> paths = publishQRequiringSix();
        upstream.on(
                "example.com/p0/@v/v1.0.0.info",
                upstream.onceAsked(
                        "example.com/p5/@v/v1.0.0.info", FakeUpstream.ok("application/json", Modules.info("v1.0.0"))));
        Path work = mainModuleRequiringQ("list");

        GoRun run = go(Map.of("GOMAXPROCS", "1"), dir.resolve("list-home"), work, "list", "-m", "all");

        assertEquals(0, run.exitCode(), run.output());
        for (String path : paths) {
            assertTrue(run.output().contains(path + " v1.0.0"), path + " listed: " + run.output());
        }
        // q's .info (predicted when its go.mod arrived) and p1..p5's came from prefetches the client then used;
        // p0's it fetched itself
        assertEquals(1 + paths.size() - 1, prefetches("modproxy.prefetch.used", "info"), ".infos prefetched, used");
        await().atMost(Duration.ofSeconds(20))
                .until(() -> proxy.assembly.prefetcher().orElseThrow().idle());
        asked.forEach((path, n) ->
                assertEquals(1, n.get(), path + " was fetched from the upstream once, client or prefetch"));
    }

    @Test
    void aBuildAsksForNoModuleBelowTheGraphsGoModsAndNoneIsFetched() throws Exception {
        List<String> paths = publishQRequiringSix();
        Path work = mainModuleRequiringQ("build");

        GoRun build = build(dir.resolve("build-home"), work);
        GoRun download = go(dir.resolve("download-home"), work, "mod", "download");

        assertEquals(0, build.exitCode(), build.output());
        assertEquals(0, download.exitCode(), download.output());
        await().atMost(Duration.ofSeconds(20))
                .until(() -> proxy.assembly.prefetcher().orElseThrow().idle());
        assertTrue(asked.containsKey("example.com/q/@v/v1.0.0.zip"), "q downloaded: " + asked.keySet());
        List<String> below = asked.keySet().stream()
                .filter(path -> paths.stream().anyMatch(p -> path.startsWith(p + "/")))
                .sorted()
                .toList();
        assertEquals(List.of(), below, "fetched upstream for a build that never asks for them");
    }

    @Test
    void goBuildFindsTheGoModItAsksAfterAZipFetchedBesideIt() throws Exception {
        // go build asks for q's zip, then its .mod, then its .info. The upstream answers the zip only once the
        // .mod was asked: a .mod asked only when the client asks for it would leave the zip unanswered until
        // the upstream gives up (504, and the build fails).
        publishQRequiringSix();
        upstream.on(
                "example.com/q/@v/v1.0.0.zip",
                upstream.onceAsked(
                        "example.com/q/@v/v1.0.0.mod",
                        FakeUpstream.ok(
                                "application/zip",
                                Modules.zipOf(
                                        "example.com/q@v1.0.0/",
                                        Map.of(
                                                "go.mod", "module example.com/q\n\ngo 1.21\n",
                                                "q.go", "package q\n")))));
        Path work = mainModuleRequiringQ("zipfirst");

        GoRun build = build(dir.resolve("zipfirst-home"), work);

        assertEquals(0, build.exitCode(), build.output());
        assertEquals(1.0, prefetches("modproxy.prefetch.used", "mod"), "q's .mod prefetched beside its zip, used");
    }

    /** Modules with upgrades: each at v1.0.0, v1.1.0 and v1.2.0, pruned, requiring nothing. */
    private static final int UPGRADABLE = 8;

    private void publishReleases(String path) {
        StringBuilder list = new StringBuilder();
        for (String version : List.of("v1.0.0", "v1.1.0", "v1.2.0")) {
            String base = path + "/@v/" + version;
            serve(base + ".info", "application/json", Modules.info(version).getBytes(StandardCharsets.UTF_8));
            serve(base + ".mod", "text/plain", Modules.goMod(path).getBytes(StandardCharsets.UTF_8));
            serve(base + ".zip", "application/zip", Modules.zip(path, version));
            list.append(version).append('\n');
        }
        serve(path + "/@v/list", "text/plain", list.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void goListDashUAllPrefetchesNoZipOfAnUpgradeAndGoGetLatestStillDownloadsIt() throws Exception {
        StringBuilder requires = new StringBuilder();
        for (int i = 0; i < UPGRADABLE; i++) {
            publishReleases("example.com/u" + i);
            requires.append("\texample.com/u").append(i).append(" v1.0.0\n");
        }
        Path work = Files.createDirectories(dir.resolve("query"));
        Files.writeString(
                work.resolve("go.mod"), "module example.com/main\n\ngo 1.21\n\nrequire (\n" + requires + ")\n");

        // a dependency-update job: which of my requirements have upgrades?
        GoRun listed = go(dir.resolve("lister"), work, "list", "-m", "-u", "all");
        assertEquals(0, listed.exitCode(), listed.output());
        for (int i = 0; i < UPGRADABLE; i++) {
            assertTrue(listed.output().contains("example.com/u" + i + " v1.0.0 [v1.2.0]"), listed.output());
        }
        await().atMost(Duration.ofSeconds(20))
                .until(() -> proxy.assembly.prefetcher().orElseThrow().idle());
        List<String> upgradeZips = asked.keySet().stream()
                .filter(path -> path.endsWith(".zip") && !path.endsWith("/v1.0.0.zip"))
                .sorted()
                .toList();
        double zips = prefetches("modproxy.prefetch.issued", "zip");
        assertEquals(
                List.of(),
                upgradeZips,
                "zips of versions the query only looked at; zip prefetches issued: " + zips
                        + ", upstream zip requests: "
                        + asked.keySet().stream()
                                .filter(p -> p.endsWith(".zip"))
                                .count());
        // the .mod and .info of the required versions come before any list (the go command loads the graph first):
        // those still predict their zips, as a build's would
        assertTrue(zips <= UPGRADABLE, "zip prefetches issued: " + zips);
        Path downloaded = dir.resolve("lister/gopath/mod/cache/download/example.com/u0/@v");
        assertTrue(
                Files.isRegularFile(downloaded.resolve("v1.2.0.info"))
                        && Files.isRegularFile(downloaded.resolve("v1.2.0.mod"))
                        && !Files.exists(downloaded.resolve("v1.2.0.zip")),
                "the query read the newest version's .info and go.mod (its retractions), not its zip");

        // go get M@latest: list, the newest version's .info and .mod, then the zip, which it asks for itself
        GoRun got = go(dir.resolve("getter"), work, "get", "example.com/u0@latest");
        assertEquals(0, got.exitCode(), got.output());
        assertTrue(Files.readString(work.resolve("go.mod")).contains("example.com/u0 v1.2.0"), got.output());
        assertTrue(
                Files.isRegularFile(dir.resolve("getter/gopath/mod/cache/download/example.com/u0/@v/v1.2.0.zip")),
                got.output());
        assertEquals(1, asked.get("example.com/u0/@v/v1.2.0.zip").get(), "fetched once, for the go command");
    }
}
