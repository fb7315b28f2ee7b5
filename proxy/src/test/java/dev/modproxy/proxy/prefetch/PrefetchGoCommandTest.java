package dev.modproxy.proxy.prefetch;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.assembly.ProxySettings;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoBinary;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
                                true, 8, "256Mi", 1000, Duration.ofSeconds(30), Duration.ofMinutes(10))));
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

    @Test
    void goModDownloadAllWorksWithPrefetchingAndUsesWhatWasPrefetched() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.writeString(
                work.resolve("go.mod"),
                "module example.com/main\n\ngo 1.16\n\n"
                        + "require (\n\texample.com/a v1.0.0\n\texample.com/r v1.0.0\n)\n");
        ProcessBuilder builder = new ProcessBuilder(GoBinary.path().toString(), "mod", "download", "all")
                .directory(work.toFile())
                .redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        GoBinary.isolate(env, dir);
        env.put("GOPROXY", proxy.url());
        env.put("GOPATH", dir.resolve("gopath").toString());
        env.put("GOMODCACHE", dir.resolve("gopath").resolve("mod").toString());
        env.put("GOCACHE", dir.resolve("gocache").toString());
        env.put("GOSUMDB", "off");
        env.put("GOFLAGS", "-mod=mod -modcacherw");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "go finished in time");
        assertEquals(0, process.exitValue(), output);

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
    }
}
