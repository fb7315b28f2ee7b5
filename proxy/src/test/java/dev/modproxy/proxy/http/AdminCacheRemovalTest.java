package dev.modproxy.proxy.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyOnFakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code DELETE /admin/cache/...} on the management port, over real HTTP, on local disk storage with the memory tier:
 * what it removes, what the next request does, and what it refuses.
 */
class AdminCacheRemovalTest {

    private static final String MODULE = "example.com/Fix/lib";
    private static final String BASE = "example.com/!fix/lib";
    private static final String VERSION = "v1.0.0";
    private static final String INFO = BASE + "/@v/v1.0.0.info";
    private static final String MOD = BASE + "/@v/v1.0.0.mod";
    private static final String ZIP = BASE + "/@v/v1.0.0.zip";
    private static final String REMOVE = "/admin/cache/" + BASE + "/@v/" + VERSION;

    @RegisterExtension
    final ProxyOnFakeUpstream env = ProxyOnFakeUpstream.publishing(u -> Modules.publish(u, MODULE, VERSION));

    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<HttpServer> servers = new ArrayList<>();
    private Vertx vertx;

    @AfterEach
    void stopServers() throws Exception {
        for (HttpServer server : servers) {
            server.close().toCompletionStage().toCompletableFuture().get();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    @Test
    void aCachedVersionIsRemovedFromDiskAndMemoryAndTheNextRequestFetchesItAgain() throws Exception {
        ProxyUnderTest proxy = env.proxy();
        FakeUpstream upstream = env.upstream();
        byte[] zip = proxy.get("/" + ZIP).body();
        for (String path : List.of(INFO, MOD, ZIP)) {
            assertEquals(200, proxy.get("/" + path).statusCode(), path);
            assertEquals(200, proxy.get("/" + path).statusCode(), path + " again: a hit");
            assertEquals(1, upstream.hits(path), path);
            assertTrue(Files.exists(env.cacheRoot().resolve(path)), path);
        }
        assertEquals(3, proxy.memory.count(), "the .info, .mod and small zip are in memory");
        long entriesBefore = proxy.storage.usage().entries();

        HttpResponse<String> removed;
        try (CapturedLog log = CapturedLog.of(AdminCacheRoute.class)) {
            removed = delete(managementUrl() + REMOVE);
            assertEquals(1, log.lines().size(), "one line per removal: " + log.lines());
            String line = log.lines().get(0);
            assertTrue(
                    line.contains(MODULE + "@" + VERSION)
                            && line.contains(".info (storage, memory)")
                            && line.contains(".zip (storage, memory)"),
                    line);
        }

        assertEquals(200, removed.statusCode(), removed.body());
        assertEquals(
                "application/json", removed.headers().firstValue("Content-Type").orElse(""));
        JsonObject body = new JsonObject(removed.body());
        assertEquals(MODULE, body.getString("module"));
        assertEquals(VERSION, body.getString("version"));
        JsonArray entries = body.getJsonArray("removed");
        assertEquals(3, entries.size(), removed.body());
        for (int i = 0; i < 3; i++) {
            JsonObject entry = entries.getJsonObject(i);
            assertEquals(List.of(INFO, MOD, ZIP).get(i), entry.getString("path"));
            assertEquals(
                    List.of("storage", "memory"), entry.getJsonArray("from").getList(), removed.body());
        }
        assertEquals(0, body.getJsonArray("inFlight").size());
        for (String path : List.of(INFO, MOD, ZIP)) {
            assertFalse(Files.exists(env.cacheRoot().resolve(path)), path + " left the disk");
        }
        assertEquals(0, proxy.memory.count(), "and the memory tier");
        assertEquals(entriesBefore - 3, proxy.storage.usage().entries(), "/admin/stats counts them gone");

        for (String path : List.of(INFO, MOD, ZIP)) {
            assertEquals(200, proxy.get("/" + path).statusCode(), path);
            assertEquals(2, upstream.hits(path), path + " was fetched from the upstream again");
            assertTrue(Files.exists(env.cacheRoot().resolve(path)), path + " stored again");
        }
        assertArrayEquals(zip, proxy.get("/" + ZIP).body());
        assertEquals(2, upstream.hits(ZIP), "and is a hit from then on");

        HttpResponse<String> again = delete(managementUrl() + "/admin/cache/" + BASE + "/@v/v1.9.9");
        assertEquals(200, again.statusCode(), "nothing cached is no error: " + again.body());
        assertEquals(0, new JsonObject(again.body()).getJsonArray("removed").size(), again.body());
    }

    /** A zip changed on the volume is served as it is; removed, the upstream's bytes are served again. */
    @Test
    void aZipDamagedOnDiskIsServedDamagedBeforeAndCorrectAfterRemoval() throws Exception {
        byte[] good = env.proxy().get("/" + ZIP).body(); // the upstream's bytes, as published
        Path stored = env.cacheRoot().resolve(ZIP);
        byte[] flipped = Files.readAllBytes(stored);
        flipped[flipped.length / 2] ^= 0x01; // one bit
        Files.write(stored, flipped);
        // a restarted proxy (the memory tier held the good bytes) reads the file, not re-hashed on a hit
        ProxyUnderTest proxy = env.restart(ProxyUnderTest.options());
        assertArrayEquals(flipped, proxy.get("/" + ZIP).body(), "served damaged, as it is stored");
        assertArrayEquals(flipped, proxy.get("/" + ZIP).body(), "and again");
        assertEquals(1, env.upstream().hits(ZIP));

        HttpResponse<String> removed = delete(managementUrl() + REMOVE);
        assertEquals(200, removed.statusCode(), removed.body());

        assertArrayEquals(good, proxy.get("/" + ZIP).body(), "the upstream's bytes again");
        assertEquals(2, env.upstream().hits(ZIP));
        assertArrayEquals(good, Files.readAllBytes(stored), "and they are what is stored");
    }

    /**
     * The go command's view: a zip replaced on the volume by another valid zip (a hand edit, a version found tampered
     * with) fails {@code go mod download} with a checksum mismatch against go.sum; after the removal it succeeds.
     */
    @Test
    void theGoCommandsChecksumMismatchIsGoneAfterTheRemoval() throws Exception {
        Path work = env.cacheRoot().resolveSibling("go");
        GoClient first = new GoClient(work.resolve("first"), env.proxy().url());
        GoClient.Result downloaded = first.download(MODULE + "@" + VERSION);
        assertEquals(0, downloaded.exitCode(), downloaded.both());
        JsonObject sums = new JsonObject(downloaded.output());
        Path app = Files.createDirectories(work.resolve("app"));
        Files.writeString(
                app.resolve("go.mod"), "module example.com/app\n\ngo 1.21\n\nrequire " + MODULE + " " + VERSION + "\n");
        Files.writeString(
                app.resolve("go.sum"),
                MODULE + " " + VERSION + " " + sums.getString("Sum") + "\n" + MODULE + " " + VERSION + "/go.mod "
                        + sums.getString("GoModSum") + "\n");
        Files.write(
                env.cacheRoot().resolve(ZIP),
                Modules.zipOf(
                        MODULE + "@" + VERSION + "/",
                        java.util.Map.of("go.mod", Modules.goMod(MODULE), "lib.go", "package lib // edited\n")));
        ProxyUnderTest proxy = env.restart(ProxyUnderTest.options()); // the memory tier held the good bytes

        GoClient.Result mismatch =
                new GoClient(work.resolve("second"), proxy.url()).run(app, "mod", "download", MODULE);
        assertNotEquals(0, mismatch.exitCode(), mismatch.both());
        assertTrue(mismatch.errors().contains("checksum mismatch"), mismatch.both());

        assertEquals(200, delete(managementUrl() + REMOVE).statusCode());

        GoClient.Result fixed = new GoClient(work.resolve("third"), proxy.url()).run(app, "mod", "download", MODULE);
        assertEquals(0, fixed.exitCode(), fixed.both());
    }

    @Test
    void aRememberedNotFoundIsForgotten() throws Exception {
        ProxyUnderTest proxy = env.proxy();
        String late = BASE + "/@v/v1.1.0.info";
        assertEquals(404, proxy.get("/" + late).statusCode());
        assertEquals(404, proxy.get("/" + late).statusCode());
        assertEquals(1, env.upstream().hits(late), "the second 404 came from the negative cache");
        env.upstream().on(late, FakeUpstream.ok("application/json", Modules.info("v1.1.0")));
        assertEquals(404, proxy.get("/" + late).statusCode(), "still remembered absent");

        HttpResponse<String> removed = delete(managementUrl() + "/admin/cache/" + BASE + "/@v/v1.1.0");

        assertEquals(200, removed.statusCode(), removed.body());
        JsonArray entries = new JsonObject(removed.body()).getJsonArray("removed");
        assertEquals(1, entries.size(), removed.body());
        assertEquals(late, entries.getJsonObject(0).getString("path"));
        assertEquals(
                List.of("negative"),
                entries.getJsonObject(0).getJsonArray("from").getList());
        assertEquals(200, proxy.get("/" + late).statusCode(), "asked of the upstream again");
        assertEquals(2, env.upstream().hits(late));
    }

    @Test
    void aStaleListAndLatestAreRefreshedAtOnce() throws Exception {
        ProxyUnderTest proxy = env.proxy();
        String list = BASE + "/@v/list";
        String latest = BASE + "/@latest";
        assertEquals("v1.0.0\n", proxy.getText("/" + list).body());
        assertTrue(proxy.getText("/" + latest).body().contains("v1.0.0"));
        env.upstream()
                .on(list, FakeUpstream.ok("text/plain", "v1.0.0\nv1.1.0\n"))
                .on(latest, FakeUpstream.ok("application/json", Modules.info("v1.1.0")));
        assertEquals("v1.0.0\n", proxy.getText("/" + list).body(), "fresh for the mutable TTL");

        HttpResponse<String> listRemoved = delete(managementUrl() + "/admin/cache/" + list);
        HttpResponse<String> latestRemoved = delete(managementUrl() + "/admin/cache/" + latest);

        assertEquals(200, listRemoved.statusCode(), listRemoved.body());
        JsonObject body = new JsonObject(listRemoved.body());
        assertEquals(MODULE, body.getString("module"));
        assertEquals(null, body.getValue("version"));
        assertEquals(list, body.getJsonArray("removed").getJsonObject(0).getString("path"));
        assertEquals(200, latestRemoved.statusCode(), latestRemoved.body());
        assertEquals(
                latest,
                new JsonObject(latestRemoved.body())
                        .getJsonArray("removed")
                        .getJsonObject(0)
                        .getString("path"));
        assertEquals("v1.0.0\nv1.1.0\n", proxy.getText("/" + list).body());
        assertTrue(proxy.getText("/" + latest).body().contains("v1.1.0"));
        assertEquals(2, env.upstream().hits(list));
        assertEquals(2, env.upstream().hits(latest));
    }

    /** A removal during the fetch of the same zip: the fetch still stores its fresh download, whole and served. */
    @Test
    void aFetchInFlightStillStoresWhatItDownloads() throws Exception {
        byte[] zip = Modules.zip(MODULE, VERSION);
        CountDownLatch release = new CountDownLatch(1);
        env.upstream().on(ZIP, exchange -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeUpstream.ok("application/zip", zip).answer(exchange);
        });
        ProxyUnderTest proxy = env.proxy();
        CompletableFuture<HttpResponse<byte[]>> client = proxy.client()
                .sendAsync(
                        HttpRequest.newBuilder(URI.create(proxy.url() + "/" + ZIP))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        await().atMost(Duration.ofSeconds(10)).until(() -> env.upstream().hits(ZIP) == 1);

        HttpResponse<String> removed = delete(managementUrl() + REMOVE);
        release.countDown();

        assertEquals(200, removed.statusCode(), removed.body());
        JsonObject body = new JsonObject(removed.body());
        assertEquals(List.of(ZIP), body.getJsonArray("inFlight").getList(), removed.body());
        assertEquals(0, body.getJsonArray("removed").size(), "nothing was stored yet: " + removed.body());
        HttpResponse<byte[]> answered = client.get(30, TimeUnit.SECONDS);
        assertEquals(200, answered.statusCode());
        assertArrayEquals(zip, answered.body());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Files.exists(env.cacheRoot().resolve(ZIP)));
        assertArrayEquals(zip, proxy.get("/" + ZIP).body());
        assertEquals(1, env.upstream().hits(ZIP), "stored by the fetch in flight: a hit afterwards");
    }

    @Test
    void malformedPathsAreA400NamingWhatIsWrong() throws Exception {
        String url = managementUrl();
        assertRefused(url, "/admin/cache/" + BASE + "/@v/", 400, "missing version");
        assertRefused(url, "/admin/cache/" + BASE, 400, "no /@v/{version}");
        assertRefused(url, "/admin/cache/", 400, "expected DELETE /admin/cache/{module}/@v/{version}");
        assertRefused(url, "/admin/cache/example.com/Fix/lib/@v/v1.0.0", 400, "upper-case letter");
        assertRefused(url, "/admin/cache/example.com/!1fix/lib/@v/v1.0.0", 400, "'!' must be followed");
        assertRefused(url, "/admin/cache/" + BASE + "/@v/v1.0.0.zip", 400, "name the version, not one of its files");
        assertRefused(url, "/admin/cache/" + BASE + "/@v/v1.0.0+build", 400, "build metadata");
        assertRefused(url, "/admin/cache/" + BASE + "/@v/V1.0.0", 400, "invalid version");

        HttpResponse<String> get = client.send(
                HttpRequest.newBuilder(URI.create(url + REMOVE)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode(), get.body());
        assertEquals("DELETE", get.headers().firstValue("Allow").orElse(""));
    }

    /**
     * Dot segments, plain or percent-encoded, and a directory linked out of the root: a 400 or 409, and the files
     * they would name outside the cache root are still there.
     */
    @Test
    void nothingOutsideTheCacheRootIsRemoved() throws Exception {
        Path root = env.cacheRoot();
        Files.createDirectories(root);
        Path outside = Files.createDirectories(root.resolveSibling("outside.com/@v"));
        Path target = Files.writeString(outside.resolve("v1.0.0.zip"), "not the cache's");
        Path targetInfo = Files.writeString(outside.resolve("v1.0.0.info"), "not the cache's");
        int port = managementPort();
        for (String path : List.of(
                "/admin/cache/example.com/../../outside.com/@v/v1.0.0",
                "/admin/cache/example.com/%2e%2e/%2E%2E/outside.com/@v/v1.0.0",
                "/admin/cache/example.com/..%2f..%2foutside.com/@v/v1.0.0",
                "/admin/cache/../outside.com/@v/v1.0.0",
                "/admin/cache/example.com/x/@v/..%2f..%2f..%2f..%2foutside.com%2f@v%2fv1.0.0",
                "/admin/x/../cache/outside.com/@v/v1.0.0")) {
            String answer = raw(port, "DELETE " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 400"), path + ": " + answer);
        }
        // a directory inside the root that links out of it
        Path elsewhere = Files.createDirectories(root.resolveSibling("elsewhere/@v"));
        Path linkedTarget = Files.writeString(elsewhere.resolve("v1.0.0.zip"), "not the cache's either");
        Files.createDirectories(root.resolve("example.com"));
        Files.createSymbolicLink(root.resolve("example.com/linked"), elsewhere.getParent());

        HttpResponse<String> linked = delete(managementUrl() + "/admin/cache/example.com/linked/@v/v1.0.0");

        assertEquals(409, linked.statusCode(), linked.body());
        assertTrue(new JsonObject(linked.body()).getString("error").contains("linked to"), linked.body());
        assertTrue(Files.exists(target) && Files.exists(targetInfo), "files outside the root are untouched");
        assertEquals("not the cache's either", Files.readString(linkedTarget));
    }

    /** A storage that cannot delete now (a bucket unreachable): a 503 saying so, and the memory copy is gone. */
    @Test
    void aStorageThatCannotDeleteIsA503AndTheMemoryTierLetsGoAllTheSame() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        ProxyUnderTest.Options options = ProxyUnderTest.options()
                .storageView(storage -> new ForwardingStorage(storage) {
                    @Override
                    public boolean delete(StorageKey key) throws IOException {
                        if (failing.get()) {
                            throw new IOException("bucket unreachable (test)");
                        }
                        return super.delete(key);
                    }
                });
        try (ProxyUnderTest proxy =
                new ProxyUnderTest(env.upstream().url(), env.cacheRoot().resolveSibling("failing"), options)) {
            assertEquals(200, proxy.get("/" + INFO).statusCode());
            assertEquals(1, proxy.memory.count());

            HttpResponse<String> refused = delete(proxy.url() + REMOVE);

            assertEquals(503, refused.statusCode(), refused.body());
            JsonObject body = new JsonObject(refused.body());
            assertTrue(
                    body.getString("error").contains("could not delete " + INFO + " now (bucket unreachable (test))"),
                    refused.body());
            assertEquals(INFO, body.getJsonArray("removed").getJsonObject(0).getString("path"));
            assertEquals(
                    List.of("memory"),
                    body.getJsonArray("removed")
                            .getJsonObject(0)
                            .getJsonArray("from")
                            .getList());
            assertEquals(0, proxy.memory.count());
            assertEquals(200, proxy.get("/" + INFO).statusCode(), "still stored: served from the storage");
            assertEquals(1, env.upstream().hits(INFO));

            failing.set(false);
            HttpResponse<String> retried = delete(proxy.url() + REMOVE);
            assertEquals(200, retried.statusCode(), retried.body());
            assertEquals(200, proxy.get("/" + INFO).statusCode());
            assertEquals(2, env.upstream().hits(INFO), "fetched again once the retry removed it");
        }
    }

    /** The serving port, which build pods use, refuses it as it refuses the other admin paths. */
    @Test
    void theServingPortAnswers404NamingTheManagementPort() throws Exception {
        env.proxy().get("/" + ZIP);
        String serving = startServer(router -> env.proxy().assembly.routes().installServing(router));

        HttpResponse<String> refused = delete(serving + REMOVE);

        assertEquals(404, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("management port"), refused.body());
        assertTrue(Files.exists(env.cacheRoot().resolve(ZIP)), "nothing removed");
    }

    /**
     * Review finding: the removal's route takes every DELETE on the management port (it passes the others on), so a
     * DELETE of any other path ends on it and is timed as {@code uri="/admin/cache/{module}/{answer}"}.
     */
    @Test
    void aDeleteOfAnotherManagementPathIsNotTimedAsARemoval() throws Exception {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                env.upstream().url(),
                env.cacheRoot().resolveSibling("labels"),
                ProxyUnderTest.options().registry(registry))) {
            String management = startServer(router -> proxy.assembly.routes().installManagement(router));

            HttpResponse<String> other = delete(management + "/not/an/admin/path");

            assertEquals(404, other.statusCode(), other.body());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.find("http.server.requests")
                                    .tag("status", "404")
                                    .timer()
                            != null);
            assertEquals(
                    List.of(),
                    registry.find("http.server.requests").tag("status", "404").timers().stream()
                            .map(t -> t.getId().getTag("uri"))
                            .filter(AdminCacheRoute.LABEL::equals)
                            .toList(),
                    "a DELETE /not/an/admin/path labelled as a removal");
        }
    }

    /**
     * Review finding: removing a module's only version leaves its directories on the volume ({@code <module>/@v/}),
     * which eviction removes for the objects it evicts ({@code removeEmptyDirectoriesAbove}) but nothing removes here.
     */
    @Test
    void removingTheOnlyVersionLeavesNoEmptyDirectoriesBehind() throws Exception {
        assertEquals(200, env.proxy().get("/" + ZIP).statusCode());
        assertEquals(200, env.proxy().get("/" + INFO).statusCode());
        assertEquals(200, env.proxy().get("/" + MOD).statusCode());

        assertEquals(200, delete(managementUrl() + REMOVE).statusCode());

        assertFalse(
                Files.exists(env.cacheRoot().resolve(BASE + "/@v")),
                "left on the volume: " + env.cacheRoot().resolve(BASE + "/@v"));
    }

    private void assertRefused(String url, String path, int status, String saying) throws Exception {
        HttpResponse<String> refused = delete(url + path);
        assertEquals(status, refused.statusCode(), path + ": " + refused.body());
        String error = new JsonObject(refused.body()).getString("error");
        assertTrue(error != null && error.contains(saying), path + ": " + refused.body());
    }

    private HttpResponse<String> delete(String url) throws IOException, InterruptedException {
        return client.send(
                HttpRequest.newBuilder(URI.create(url)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    private String managementUrl() throws Exception {
        return "http://127.0.0.1:" + managementPort();
    }

    private int managementPort() throws Exception {
        if (management == null) {
            management = startServer(router -> env.proxy().assembly.routes().installManagement(router));
        }
        return URI.create(management).getPort();
    }

    private String management;

    /** A server with only these routes, as the application puts the serving and the management routes apart. */
    private String startServer(Consumer<Router> routes) throws Exception {
        if (vertx == null) {
            vertx = Vertx.vertx();
        }
        Router router = Router.router(vertx);
        routes.accept(router);
        HttpServer server = vertx.createHttpServer()
                .requestHandler(router)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get();
        servers.add(server);
        return "http://127.0.0.1:" + server.actualPort();
    }

    /** Sends exactly these bytes (no client normalizes the path) and returns the whole answer. */
    private static String raw(int port, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            in.transferTo(answer);
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
