package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lookup names a module path and a canonical version, case-encoded as in the GOPROXY protocol. One that
 * does not (a broken '!' escape, a path the go command's module path check refuses, a non-canonical version)
 * is the client's mistake: a 400 with its reason, and nothing asked of the database, as for the GOPROXY paths.
 */
class SumDbLookupPathTest {

    private static final String NAME = "sum.modproxy.test";
    private static final String MODULE = "example.com/hello";

    @TempDir
    Path dir;

    @Test
    void aLookupOfAnInvalidModuleOrVersionIsAClientErrorThatNeverReachesTheDatabase() throws Exception {
        Path modules = dir.resolve("modules");
        ProxyDirModules.write(modules, MODULE, "v1.0.0", Map.of("hello.go", "package hello\n"));
        try (GoSumDbServer sumdb =
                        GoSumDbServer.start(GoSumDbServer.Options.named(NAME).withProxyDir(modules));
                ForwardingServer link = ForwardingServer.forward("", sumdb.url());
                StaticGoProxy upstream = StaticGoProxy.serve(modules);
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        ProxyUnderTest.options().sumdb(sumdb.verifierKey() + " " + link.url(), "", false))) {
            assertEquals(
                    200,
                    proxy.getText("/sumdb/" + NAME + "/lookup/" + MODULE + "@v1.0.0")
                            .statusCode());
            int forwarded = link.forwarded();

            for (String lookup : List.of(
                    "example.com/!1x@v1.0.0", // '!' before a digit
                    "example.com/!!x@v1.0.0",
                    "example.com/x!@v1.0.0", // dangling '!'
                    "example.com/x@v1.0.0-!1",
                    "example.com/x@v1.0.0-!",
                    "hello@v1.0.0", // no dot in the first element
                    "example.com/v1@v1.0.0", // /v1 is no major suffix
                    "example.com/x/v2@v1.0.0", // a v1 version of a /v2 module
                    "example.com/x@v2.0.0", // v2 without /v2 or +incompatible
                    "example.com/x@v01.0.0",
                    "example.com/con/x@v1.0.0", // a Windows reserved name
                    "example.com/x~1@v1.0.0")) {
                HttpResponse<String> answer = proxy.getText("/sumdb/" + NAME + "/lookup/" + lookup);

                assertEquals(400, answer.statusCode(), lookup + ": " + answer.body());
                assertTrue(answer.body().startsWith("invalid module@version"), lookup + ": " + answer.body());
                assertEquals(1, answer.body().lines().count(), answer.body());
            }
            assertEquals(forwarded, link.forwarded(), "no hostile lookup was sent to the database");
        }
    }

    @Test
    void aLookupWithPercentEscapesIsTheSameLookupAndAHeadTellsTheLengthOfTheGet() throws Exception {
        String module = "example.com/Upper";
        Path modules = dir.resolve("modules");
        ProxyDirModules.write(modules, module, "v1.0.0", Map.of("hello.go", "package hello\n"));
        try (GoSumDbServer sumdb =
                        GoSumDbServer.start(GoSumDbServer.Options.named(NAME).withProxyDir(modules));
                StaticGoProxy upstream = StaticGoProxy.serve(modules);
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        dir.resolve("cache"),
                        ProxyUnderTest.options().sumdb(sumdb.verifierKey() + " " + sumdb.url(), "", false))) {
            HttpResponse<String> plain = proxy.getText("/sumdb/" + NAME + "/lookup/example.com/!upper@v1.0.0");
            assertEquals(200, plain.statusCode(), plain.body());
            // '!' sent as %21, as a client that escapes what is not a URL's unreserved character does
            HttpResponse<String> escaped = proxy.getText("/sumdb/" + NAME + "/lookup/example.com/%21upper@v1.0.0");
            assertEquals(200, escaped.statusCode(), escaped.body());
            assertEquals(plain.body(), escaped.body());
            assertEquals(
                    400,
                    proxy.getText("/sumdb/" + NAME + "/lookup/example.com%2Fupper@v1.0.0")
                            .statusCode(),
                    "an escaped '/' is refused, never decoded");

            for (String path : List.of("latest", "lookup/example.com/!upper@v1.0.0", "tile/8/0/000.p/1")) {
                HttpResponse<byte[]> get = proxy.get("/sumdb/" + NAME + "/" + path);
                HttpResponse<byte[]> head = proxy.client()
                        .send(
                                HttpRequest.newBuilder(URI.create(proxy.url() + "/sumdb/" + NAME + "/" + path))
                                        .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                        .build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, get.statusCode(), path);
                assertEquals(200, head.statusCode(), path);
                assertEquals(
                        get.body().length,
                        head.headers().firstValueAsLong("Content-Length").orElse(-1),
                        "HEAD " + path + " tells the length of the GET's body");
            }
        }
    }
}
