package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HEAD answers like GET without the body, cold or cached. */
class HeadRequestTest {

    @TempDir
    Path dir;
    FakeUpstream upstream;
    ProxyUnderTest proxy;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start();
        Modules.publish(upstream, "example.com/head/lib", "v1.0.0");
        proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache"));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    private HttpResponse<byte[]> head(String path) throws Exception {
        return proxy.client().send(HttpRequest.newBuilder(URI.create(proxy.url() + path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void headOfACachedZipTellsItsLength() throws Exception {
        String zip = "/example.com/head/lib/@v/v1.0.0.zip";
        int size = proxy.get(zip).body().length;

        HttpResponse<byte[]> cached = head(zip);

        assertEquals(200, cached.statusCode());
        assertEquals("application/zip", cached.headers().firstValue("Content-Type").orElse(""));
        assertEquals(size, cached.headers().firstValueAsLong("Content-Length").orElse(-1));
        assertEquals(0, cached.body().length);
        assertEquals(1, upstream.hits("example.com/head/lib/@v/v1.0.0.zip"), "HEAD was answered from the cache");
    }
}
