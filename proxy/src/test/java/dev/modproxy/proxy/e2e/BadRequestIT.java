package dev.modproxy.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.HostileClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is not a GOPROXY request gets a 4xx with a reason, costs no upstream request and touches no
 * file outside the cache.
 */
class BadRequestIT {

    @TempDir
    static Path work;

    static UpstreamServer upstream;
    static ProxyProcess proxy;

    @BeforeAll
    static void start() throws IOException {
        ProxyProcess.jar();
        ModuleFixtures fixtures = ModuleFixtures.generate(work.resolve("fixtures"), 0);
        Files.writeString(work.resolve("secret.txt"), "outside the cache root\n");
        upstream = UpstreamServer.start(fixtures.proxyTree());
        Path storage = Files.createDirectories(work.resolve("storage"));
        proxy = ProxyProcess.start(upstream.url(), storage, work.resolve("proxy.log"));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void malformedModulePathsVersionsAndSuffixesAreClientErrors() throws Exception {
        List<String> malformed = List.of(
                "/example.com/Upper/Mod/@v/list", // upper case must be written !u
                "/example.com/!!upper/@v/list", // '!' must be followed by a lower-case letter
                "/example.com/leaf/@v/v1.0.0.exe", // no such artifact kind
                "/example.com/leaf/@v/1.0.0.zip", // zips exist only for canonical versions
                "/example.com/leaf/@v/v1.0.zip",
                "/example.com/leaf/@v/",
                "/-leaf.example.com/@v/list", // a path element may not start with '-'
                "/example.com/a%00b/@v/list", // NUL byte
                "/example.com/%2e%2e/%2e%2e/secret.txt/@v/list",
                "/example.com/../../secret.txt/@v/list",
                "/example.com/leaf/@v/v1.0.0.info/../../../../secret.txt");
        for (String path : malformed) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(proxy.url() + path)));
            assertTrue(
                    response.statusCode() >= 400 && response.statusCode() < 500,
                    path + " answered " + response.statusCode() + ": " + response.body());
            assertTrue(
                    !response.body().isBlank() && !response.body().contains("outside the cache root"),
                    path + " says why, and serves nothing else: " + response.body());
        }
        assertEquals(0, upstream.requestCounts().size(), "requests sent upstream: " + upstream.requestCounts());
    }

    @Test
    void theProtocolIsReadOnly() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(proxy.uri("/example.com/leaf/@v/v1.0.0.zip"))
                .POST(HttpRequest.BodyPublishers.ofString("not a module")));
        assertEquals(405, response.statusCode(), response.body());
        assertEquals(0, upstream.requestCount("/example.com/leaf/@v/v1.0.0.zip"));
    }

    @Test
    void aTargetThatIsNoUriOrAMethodNotKnownIsRefusedSayingWhyAsEveryOtherRefusal() throws Exception {
        // Quarkus checks each target itself and answers these with an empty 400 unless ProxyMain switches it off
        Map<String, String> answers = new LinkedHashMap<>();
        answers.put(
                "GET /example.com\\leaf/@v/list",
                "400 Bad Request|backslash at index 12 of the request target: paths are separated by '/'");
        answers.put(
                "GET /example.com/le\0af/@v/list",
                "400 Bad Request|control character 0x00 at index 15 of the" + " request target");
        for (String target : List.of("/example.com/leaf/@v/list%", "/example.com/%zz/@v/list", "/example.com/%2")) {
            answers.put(
                    "GET " + target,
                    "400 Bad Request|malformed percent escape at index " + target.indexOf('%')
                            + " of the request target: '%' must be followed by two hex digits");
        }
        answers.put(
                "FOO /example.com/leaf/@v/list",
                "501 Not Implemented|method FOO is not implemented: the GOPROXY protocol takes GET and HEAD");
        answers.put(
                "POST /sumdb/sum.golang.org/latest",
                "405 Method Not Allowed|the checksum database protocol is read-only: use GET");
        for (Map.Entry<String, String> request : answers.entrySet()) {
            String response;
            try (HostileClient client = new HostileClient(proxy.port())) {
                response = client.send(request.getKey() + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .untilClosed(Duration.ofSeconds(30));
            }
            String[] expected = request.getValue().split("\\|");
            assertTrue(response.startsWith("HTTP/1.1 " + expected[0] + "\r\n"), request.getKey() + ": " + response);
            assertTrue(response.endsWith("\r\n\r\n" + expected[1] + "\n"), request.getKey() + ": " + response);
        }
        assertEquals(0, upstream.requestCounts().size(), "requests sent upstream: " + upstream.requestCounts());
        // the router never saw a target it cannot match: it logs "Unhandled exception in router" for each
        List<String> errors = proxy.warningsAndErrors().stream()
                .filter(line -> line.contains(" ERROR "))
                .toList();
        assertEquals(List.of(), errors);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HttpFetch.client()
                .send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
