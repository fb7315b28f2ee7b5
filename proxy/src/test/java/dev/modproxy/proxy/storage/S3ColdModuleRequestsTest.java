package dev.modproxy.proxy.storage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.sumdb.GoSumDbServer;
import dev.modproxy.proxy.sumdb.ProxyDirModules;
import dev.modproxy.proxy.sumdb.StaticGoProxy;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import dev.modproxy.proxy.testing.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * What a cold module costs in requests to a real bucket (s3proxy), with the checksum database on: each request is a
 * round trip, 100 ms when the bucket is in another zone, and a cold build makes them module after module.
 */
class S3ColdModuleRequestsTest {

    private static final String DATABASE = "sum.s3.test";
    private static final int MODULES = 3;

    static S3Server server;

    @TempDir
    Path dir;

    /** "METHOD key" of every object request the storage made, the prefix left out; other requests by their type. */
    final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3Server();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void aColdModuleLooksEachPieceUpOnceAndStoresItWithOnePut() throws Exception {
        server.createBucket("cold");
        Path modules = dir.resolve("modules");
        for (int i = 0; i < MODULES; i++) {
            ProxyDirModules.write(modules, "example.com/m" + i, "v1.0.0", Map.of("m.go", "package m\n"));
        }
        // a log of more than one tile's records, so that proofs read full tiles and the partial ones at its edge
        List<String> records = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            records.add("example.com/filler" + i + " v1.0.0 h1:" + "A".repeat(43) + "= h1:" + "B".repeat(43) + "=");
        }
        Path recordFile = Files.write(dir.resolve("records"), records);
        try (S3Storage storage = countedStorage("cold");
                GoSumDbServer sumdb = GoSumDbServer.start(GoSumDbServer.Options.named(DATABASE)
                        .withProxyDir(modules)
                        .withRecords(recordFile));
                StaticGoProxy upstream = StaticGoProxy.serve(modules);
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("unused-root"),
                        ProxyUnderTest.options()
                                .readTimeout(Duration.ofSeconds(10))
                                .sumdb(sumdb.verifierKey() + " " + sumdb.url(), "", false)
                                .storage((s, m) -> storage))) {
            requests.clear();
            for (int i = 0; i < MODULES; i++) {
                for (String suffix : List.of(".info", ".mod", ".zip")) {
                    String path = "/example.com/m" + i + "/@v/v1.0.0" + suffix;
                    assertEquals(200, proxy.get(path).statusCode(), path);
                }
            }
            List<String> cold = List.copyOf(requests);
            requests.clear();
            // what the go command asks next: the records the proxy proved each module with
            for (int i = 0; i < MODULES; i++) {
                String lookup = "/sumdb/" + DATABASE + "/lookup/example.com/m" + i + "@v1.0.0";
                assertEquals(200, proxy.get(lookup).statusCode(), lookup);
            }
            List<String> lookups = List.copyOf(requests);

            assertEquals(List.of(), filter(cold, r -> r.startsWith("HEAD ")), "no HEAD before a PUT: " + cold);
            for (int i = 0; i < MODULES; i++) {
                for (String suffix : List.of(".info", ".mod", ".zip")) {
                    String name = "example.com/m" + i + "/@v/v1.0.0" + suffix;
                    List<String> put = filter(cold, r -> r.equals("PUT " + name));
                    assertEquals(1, put.size(), name + ": " + cold);
                    assertEquals(
                            List.of("GET " + name),
                            filter(cold.subList(0, cold.indexOf("PUT " + name)), r -> r.equals("GET " + name)),
                            name + " is looked up once, as the miss, not again by the fetch that leads: " + cold);
                    assertTrue(
                            cold.subList(cold.indexOf("PUT " + name), cold.size()).stream()
                                    .noneMatch(r -> r.equals("GET " + name)),
                            name + " is answered from what was uploaded, not fetched back: " + cold);
                }
            }
            Map<String, Long> sumdbGets = filter(cold, r -> r.startsWith("GET sumdb/")).stream()
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertTrue(sumdbGets.values().stream().allMatch(n -> n == 1), "each piece read once: " + sumdbGets);
            List<String> sumdbPuts = filter(cold, r -> r.startsWith("PUT sumdb/") && !r.endsWith("/verified-tree"));
            assertEquals(sumdbPuts.size(), Set.copyOf(sumdbPuts).size(), "each piece stored once: " + sumdbPuts);
            // the newest verified tree is written in the background, and may still be on its way
            assertEquals(
                    List.of(),
                    filter(lookups, r -> !r.endsWith("/verified-tree")),
                    "records proven for the modules are answered from memory");
        }
    }

    private S3Storage countedStorage(String bucket) throws Exception {
        // per call, not per attempt: a retry after a dropped connection is the same request, made again
        ExecutionInterceptor counter = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                SdkRequest request = context.request();
                if (request instanceof GetObjectRequest get) {
                    requests.add("GET " + get.key().substring("cache/".length()));
                } else if (request instanceof HeadObjectRequest head) {
                    requests.add("HEAD " + head.key().substring("cache/".length()));
                } else if (request instanceof PutObjectRequest put) {
                    requests.add("PUT " + put.key().substring("cache/".length()));
                } else {
                    requests.add(request.getClass().getSimpleName());
                }
            }
        };
        S3Storage storage = new S3Storage(
                new S3Storage.Settings(Optional.of(server.endpoint()), bucket, "cache", "us-east-1", true),
                server.credentials(),
                dir.resolve("staging"),
                ClientOverrideConfiguration.builder()
                        .addExecutionInterceptor(counter)
                        .build());
        // the startup count lists the bucket in the background: its requests must not land in the log
        await().atMost(Duration.ofSeconds(30)).until(storage::usageCounted);
        return storage;
    }

    private static List<String> filter(List<String> requests, Predicate<String> which) {
        return requests.stream().filter(which).toList();
    }
}
