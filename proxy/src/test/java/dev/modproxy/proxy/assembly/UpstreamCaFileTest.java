package dev.modproxy.proxy.assembly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsServer;
import dev.modproxy.proxy.upstream.EgressProxy;
import dev.modproxy.proxy.upstream.TestCertificateAuthority;
import dev.modproxy.proxy.upstream.UpstreamResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MODPROXY_UPSTREAM_CA_FILE as the assembled proxy uses it: an internal upstream and a checksum database whose
 * certificates a corporate CA signed are reached once the file holds that CA, and refused for the certificate without.
 */
class UpstreamCaFileTest {

    private static final String SUMDB_KEY = "sum.test+8bd400dc+ATQMefWcGAeJ26aJN3ItgqINdKg39Rr1AFhkrPZQMolv";
    private static final String MOD = "corp.example.com/lib/@v/v1.0.0.mod";
    private static final String MOD_FILE = "module corp.example.com/lib\n";

    @TempDir
    Path dir;

    private TestCertificateAuthority corp;
    private final List<HttpsServer> servers = new ArrayList<>();
    private final AtomicInteger databaseRequests = new AtomicInteger();
    private String upstream;
    private String database;

    @BeforeEach
    void serve() throws Exception {
        corp = TestCertificateAuthority.create(dir, "Corp Test CA");
        HttpsServer mirror = corp.serve(exchange -> {
            // the checksum database is not proxied by this mirror: it is asked at its own URL
            answer(exchange, exchange.getRequestURI().getPath().startsWith("/sumdb/") ? 404 : 200, MOD_FILE);
        });
        HttpsServer sumdb = corp.serve(exchange -> {
            databaseRequests.incrementAndGet();
            answer(exchange, 503, "down for maintenance");
        });
        servers.add(mirror);
        servers.add(sumdb);
        upstream = "https://127.0.0.1:" + mirror.getAddress().getPort();
        database = "https://127.0.0.1:" + sumdb.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        servers.forEach(server -> server.stop(0));
    }

    @Test
    void withTheCaFileTheUpstreamAndTheChecksumDatabaseAreReached() throws Exception {
        try (ProxyAssembly proxy = ProxyAssembly.assemble(settings(corp.pem()), new SimpleMeterRegistry())) {
            UpstreamResult<String> fetched = proxy.chain().fetch(MOD, UpstreamCaFileTest::text, () -> true);
            Optional<String> warning = proxy.checksumDatabase().unreachableWarning();

            assertEquals(200, fetched.status(), fetched.reason());
            assertEquals(MOD_FILE, fetched.value());
            assertTrue(databaseRequests.get() > 0, "the checksum database got a request: " + warning);
            assertTrue(warning.orElseThrow().contains("503"), warning.orElseThrow());
        }
    }

    @Test
    void withoutItBothAreRefusedForTheirCertificate() throws Exception {
        try (ProxyAssembly proxy = ProxyAssembly.assemble(settings(null), new SimpleMeterRegistry())) {
            UpstreamResult<String> fetched = proxy.chain().fetch(MOD, UpstreamCaFileTest::text, () -> true);
            Optional<String> warning = proxy.checksumDatabase().unreachableWarning();

            assertEquals(502, fetched.status(), fetched.reason());
            assertTrue(
                    fetched.reason().contains("no certificate authority this proxy trusts has signed"),
                    fetched.reason());
            assertEquals(0, databaseRequests.get());
            assertTrue(
                    warning.orElseThrow().contains("no certificate authority this proxy trusts has signed"),
                    warning.orElseThrow());
        }
    }

    private ProxySettings settings(Path caFile) {
        return ProxySettings.defaults(dir.resolve("cache"))
                .upstream(upstream)
                .upstreamCaFile(caFile)
                .sumdb(SUMDB_KEY + " " + database)
                .passThroughDir(dir.resolve("spill"))
                .egress(EgressProxy.of(Map.of()))
                .build();
    }

    private static String text(dev.modproxy.proxy.upstream.UpstreamResponse response) throws IOException {
        return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void answer(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }
}
