package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyOnFakeUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** HEAD answers like GET without the body, cold or cached. */
class HeadRequestTest {

    @RegisterExtension
    final ProxyOnFakeUpstream env =
            ProxyOnFakeUpstream.publishing(u -> Modules.publish(u, "example.com/head/lib", "v1.0.0"));

    private HttpResponse<byte[]> head(String path) throws Exception {
        return env.proxy()
                .client()
                .send(
                        HttpRequest.newBuilder(URI.create(env.proxy().url() + path))
                                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void headOfACachedZipTellsItsLength() throws Exception {
        String zip = "/example.com/head/lib/@v/v1.0.0.zip";
        int size = env.proxy().get(zip).body().length;

        HttpResponse<byte[]> cached = head(zip);

        assertEquals(200, cached.statusCode());
        assertEquals(
                "application/zip", cached.headers().firstValue("Content-Type").orElse(""));
        assertEquals(size, cached.headers().firstValueAsLong("Content-Length").orElse(-1));
        assertEquals(0, cached.body().length);
        assertEquals(1, env.upstream().hits("example.com/head/lib/@v/v1.0.0.zip"), "HEAD was answered from the cache");
    }

    @Test
    void headOfARefusalCarriesTheHeadersOfItsGetWithoutTheBody() throws Exception {
        for (String path : List.of(
                "/example.com/head/Lib/@v/list", // 400: upper case not !-escaped
                "/example.com/head/lib/@v/v1.0.info", // 400: .mod and .zip only for canonical versions
                "/example.com/head/lib/@v/v1.0.0.tar", // 404: no such GOPROXY file
                "/example.com/head/absent/@v/v1.0.0.mod", // 404 from the upstream, cold for the HEAD
                "/example.com/head/lib/@v/v1.0.0.zip" + "/x".repeat(600), // 414
                "/sumdb/sum.golang.org/latest")) { // 404: no checksum database here
            HttpResponse<byte[]> head = head(path);
            HttpResponse<byte[]> get = env.proxy().get(path);

            assertTrue(get.statusCode() >= 400, path + " is refused: " + get.statusCode());
            assertEquals(get.statusCode(), head.statusCode(), path);
            for (String header : List.of("Content-Type", "Cache-Control", "Content-Length")) {
                assertEquals(
                        get.headers().firstValue(header),
                        head.headers().firstValue(header),
                        header + " of HEAD " + path);
            }
            assertEquals(
                    get.body().length,
                    head.headers().firstValueAsLong("Content-Length").orElse(-1),
                    "HEAD " + path + " tells the length of the GET's body");
            assertEquals(0, head.body().length, path);
        }
    }
}
