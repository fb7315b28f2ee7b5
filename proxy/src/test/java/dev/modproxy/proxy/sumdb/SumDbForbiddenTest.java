package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A source of the checksum database that answers 403 (or 400, an allow-list's answer for a module host it does not
 * serve) refuses the path to this proxy, as an upstream's 403 or 400 for a module does: a client of /sumdb/ gets that
 * status with the source's reason, as it gets it on a module path, not a 502.
 */
class SumDbForbiddenTest {

    private static final String KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
    private static final String REASON = "Forbidden: this path is not on the allow-list";

    @TempDir
    Path dir;

    private HttpServer refusing;

    @AfterEach
    void stop() {
        refusing.stop(0);
    }

    /** An upstream proxy, and the database's own URL, that refuse every path with {@code status} and a reason. */
    private String refusingEverything(int status) throws Exception {
        refusing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        refusing.createContext("/", exchange -> {
            byte[] body = REASON.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        refusing.start();
        return "http://127.0.0.1:" + refusing.getAddress().getPort();
    }

    @ParameterizedTest
    @ValueSource(ints = {403, 400})
    void aDatabasePathEverySourceRefusesIsThatRefusalWithTheirReasonAsOnAModulePath(int status) throws Exception {
        String url = refusingEverything(status);
        try (ProxyUnderTest proxy = new ProxyUnderTest(
                url, dir.resolve("cache"), ProxyUnderTest.options().sumdb(KEY + " " + url, "", false))) {
            assertEquals(
                    status,
                    proxy.getText("/example.com/lib/@v/v1.0.0.mod").statusCode(),
                    "a module path passes the upstream's refusal on");

            for (String path : List.of("tile/8/data/000", "tile/8/0/000", "latest", "lookup/example.com/lib@v1.0.0")) {
                HttpResponse<String> answer = proxy.getText("/sumdb/sum.golang.org/" + path);

                assertEquals(status, answer.statusCode(), path + ": " + answer.body());
                assertTrue(answer.body().contains("answered " + status), path + ": " + answer.body());
                assertTrue(answer.body().contains(REASON), path + ": " + answer.body());
                assertEquals(
                        "no-store", answer.headers().firstValue("Cache-Control").orElseThrow(), path);
            }
        }
    }
}
