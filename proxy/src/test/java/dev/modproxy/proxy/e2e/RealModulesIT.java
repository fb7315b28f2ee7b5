package dev.modproxy.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.GoSumDb;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real modules, the real checksum log and today's go command: the capture (module graphs and
 * the toolchain the go command downloaded from the Go module proxy, with sum.golang.org's lookups
 * and tiles) replayed from loopback as modproxy's upstream and as sum.golang.org, under its real
 * name and key. modproxy runs with the default MODPROXY_SUMDB and MODPROXY_SUMDB_REQUIRED=true,
 * so a module it cannot prove in the log is refused rather than served.
 */
class RealModulesIT {

    private static RealCapture capture;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadCapture() throws IOException {
        GoCommand.requireInstalled();
        capture = RealCapture.load();
    }

    /** sum.golang.org with its real key, its answers from the same loopback upstream (no network). */
    private static Map<String, String> realChecksumDatabase(UpstreamServer upstream) {
        return Map.of(
                "MODPROXY_SUMDB",
                GoSumDb.SUM_GOLANG_ORG_KEY + " " + upstream.url() + "/sumdb/sum.golang.org",
                "MODPROXY_SUMDB_REQUIRED",
                "true");
    }

    private GoCommand buildPod(String name, ProxyProcess proxy, Map<String, String> settings) throws IOException {
        Files.createDirectories(dir.resolve(name));
        return GoCommand.verifying(dir.resolve(name), proxy.url(), dir.resolve("gocache"), settings);
    }

    @Test
    void realGraphDownloadsVerifiesAndBuildsThroughTheProxyWithTheSameGoSumAsTheCapture() throws Exception {
        try (UpstreamServer upstream = capture.serve();
                ProxyProcess proxy = ProxyProcess.start(
                        upstream.url(),
                        dir.resolve("cache"),
                        dir.resolve("proxy.log"),
                        realChecksumDatabase(upstream))) {
            GoCommand go = buildPod("pod", proxy, Map.of());
            Path app = copyGraphWithoutGoSum(dir.resolve("app"));

            go.runOk(app, "mod", "download", "all");
            go.runOk(app, "mod", "tidy");
            String verified = go.run(app, "mod", "verify").stdout();
            go.runOk(app, "build", "-o", "app.bin", ".");

            assertEquals(
                    capture.goSum(),
                    Files.readString(app.resolve("go.sum")),
                    "go.sum through modproxy equals the one the go command wrote against sum.golang.org");
            assertEquals("all modules verified", verified.trim());
            assertEquals(0, metric(proxy, "modproxy_sumdb_unverified_total"), "nothing accepted unverified");
            assertEquals(0, metric(proxy, "modproxy_sumdb_rejections_total"), "nothing refused; " + proxy.logTail());
            for (String module : capture.modules()) {
                String lookup = "/sumdb/sum.golang.org/lookup/" + module;
                assertTrue(upstream.requestCount(caseEncoded(lookup)) > 0, "the proxy looked up " + module);
            }
        }
    }

    @Test
    void tamperedCopyOfARealZipIsRefusedByTheProxyAndNotCached() throws Exception {
        String zipPath = "/gopkg.in/inf.v0/@v/v0.9.1.zip";
        Path tampered = tamperedCopy(capture.proxyTree().resolve(zipPath.substring(1)), dir.resolve("tampered.zip"));
        try (UpstreamServer upstream = capture.serve();
                ProxyProcess proxy = ProxyProcess.start(
                        upstream.url(),
                        dir.resolve("cache"),
                        dir.resolve("proxy.log"),
                        realChecksumDatabase(upstream))) {
            upstream.serve(zipPath, tampered);
            GoCommand go = buildPod("pod", proxy, Map.of());

            GoCommand.Result first = go.run(dir.resolve("outside"), "mod", "download", "gopkg.in/inf.v0@v0.9.1");
            GoCommand.Result second = go.run(dir.resolve("outside"), "mod", "download", "gopkg.in/inf.v0@v0.9.1");

            assertNotEquals(0, first.exitCode(), first.describe());
            assertNotEquals(0, second.exitCode(), second.describe());
            assertTrue(proxy.logTail().contains("SECURITY: refused gopkg.in/inf.v0@v0.9.1.zip"), proxy.logTail());
            assertEquals(
                    1, metric(proxy, "modproxy_sumdb_rejections_total"), "the first download was checked and refused");
            // the refusal is remembered for MODPROXY_NEGATIVE_TTL: the second gets it again without a download
            assertEquals(1, upstream.requestCount(zipPath), "fetched once, and never cached");
            assertTrue(metric(proxy, "modproxy_cache_negative_hits_total") >= 1, "the second answered as remembered");
            try (var stored = Files.walk(dir.resolve("cache"))) {
                assertTrue(stored.noneMatch(p -> p.toString().endsWith("v0.9.1.zip")), "no cache entry for the zip");
            }
            assertTrue(Files.notExists(go.moduleCache().resolve("gopkg.in/inf.v0@v0.9.1")), "nothing extracted");
        }
    }

    @Test
    void toolchainNamedByGoModIsFetchedVerifiedAndRunThroughTheProxyThenServedFromTheCacheWithTheUpstreamCut()
            throws Exception {
        String toolchain = capture.toolchain();
        String zipPath = "/golang.org/toolchain/@v/v0.0.1-" + toolchain + ".linux-amd64.zip";
        Path module = Files.createDirectories(dir.resolve("module"));
        Files.writeString(
                module.resolve("go.mod"),
                "module example.com/wants/newer/go\n\ngo 1.26\n\ntoolchain " + toolchain + "\n");
        try (UpstreamServer upstream = capture.serve();
                ProxyProcess proxy = ProxyProcess.start(
                        upstream.url(),
                        dir.resolve("cache"),
                        dir.resolve("proxy.log"),
                        realChecksumDatabase(upstream))) {
            Map<String, String> auto = Map.of("GOTOOLCHAIN", "auto");

            String first = buildPod("pod1", proxy, auto).runOk(module, "version");
            upstream.stop();
            String second = buildPod("pod2", proxy, auto).runOk(module, "version");

            assertEquals("go version " + toolchain + " linux/amd64", first.trim());
            assertEquals("go version " + toolchain + " linux/amd64", second.trim());
            assertEquals(1, upstream.requestCount(zipPath), "fetched once, then from the cache");
            assertEquals(0, metric(proxy, "modproxy_sumdb_unverified_total"), "verified against the log");
        }
    }

    private Path copyGraphWithoutGoSum(Path target) throws IOException {
        Files.createDirectories(target);
        for (String name : List.of("go.mod", "main.go")) {
            Files.copy(capture.graph().resolve(name), target.resolve(name));
        }
        return target;
    }

    /** The real zip with one byte of one file changed: same names and sizes, another h1: hash. */
    private static Path tamperedCopy(Path real, Path target) throws IOException {
        boolean changed = false;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(real));
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                byte[] content = in.readAllBytes();
                if (!changed && entry.getName().endsWith(".go") && content.length > 0) {
                    content[content.length - 1] = (byte) (content[content.length - 1] == ' ' ? '\t' : ' ');
                    changed = true;
                }
                out.putNextEntry(new ZipEntry(entry.getName()));
                out.write(content);
                out.closeEntry();
            }
        }
        assertTrue(changed, "a .go file in " + real);
        return target;
    }

    /** Upper case as the proxy protocol spells it in paths ("!a" for "A"). */
    private static String caseEncoded(String path) {
        StringBuilder out = new StringBuilder();
        for (char c : path.toCharArray()) {
            out.append(Character.isUpperCase(c) ? "!" + Character.toLowerCase(c) : String.valueOf(c));
        }
        return out.toString();
    }

    /** The sum of a counter over all its tags, as the proxy's Prometheus endpoint shows it. */
    private static double metric(ProxyProcess proxy, String name) throws IOException, InterruptedException {
        String body = HttpFetch.client()
                .send(
                        HttpRequest.newBuilder(proxy.managementUri("/q/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? (\\S+)$").matcher(body);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(2));
        }
        return sum;
    }
}
