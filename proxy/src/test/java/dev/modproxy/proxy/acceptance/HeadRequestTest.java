package dev.modproxy.proxy.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyOnFakeUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
}
