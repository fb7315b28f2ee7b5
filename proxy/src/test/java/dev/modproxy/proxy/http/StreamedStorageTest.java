package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Storage that only hands out streams (like object storage) is served by copying, with the same headers. */
class StreamedStorageTest {

    @TempDir
    Path cacheDir;

    /** Delegates to local disk but hides the local file, as a remote store would. */
    private static final class StreamOnly extends ForwardingStorage {

        StreamOnly(Storage disk) {
            super(disk);
        }

        @Override
        public Optional<StoredObject> lookup(StorageKey key) throws IOException {
            return delegate.lookup(key).map(o -> StoredObject.ofStream(key, o.size(), o.lastModified(), o::open));
        }

        @Override
        public boolean lookupIsLocal() {
            return false;
        }

        @Override
        public String describe() {
            return "stream-only " + delegate.describe();
        }
    }

    @Test
    void cachedZipIsStreamedWhenThereIsNoLocalFile() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(), cacheDir, ProxyUnderTest.options().storageView(StreamOnly::new))) {
            Modules.publish(upstream, "example.com/lib", "v1.0.0");
            byte[] zip = Modules.zip("example.com/lib", "v1.0.0");
            proxy.get("/example.com/lib/@v/v1.0.0.zip");

            HttpResponse<byte[]> warm = proxy.get("/example.com/lib/@v/v1.0.0.zip");

            assertEquals(200, warm.statusCode());
            assertArrayEquals(zip, warm.body());
            assertEquals(
                    String.valueOf(zip.length),
                    warm.headers().firstValue("Content-Length").orElseThrow());
            assertEquals(
                    "application/zip", warm.headers().firstValue("Content-Type").orElseThrow());
            assertEquals(1, upstream.hits("example.com/lib/@v/v1.0.0.zip"));
        }
    }

    @Test
    void aStaleListStreamedFromStorageSaysItIsStale() throws Exception {
        String list = "example.com/lib/@v/list";
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(
                        upstream.url(),
                        cacheDir,
                        ProxyUnderTest.options().storageView(StreamOnly::new).mutableTtl(Duration.ofSeconds(1)))) {
            upstream.on(list, FakeUpstream.ok("text/plain", "v1.0.0\n"));
            assertEquals(
                    "public, max-age=1",
                    proxy.getText("/" + list)
                            .headers()
                            .firstValue("Cache-Control")
                            .orElseThrow());
            upstream.on(list, FakeUpstream.status(500, "down"));

            // once the proxy has tried to refresh it, the list is past its TTL and stays so
            HttpResponse<String> served = proxy.getTextUntil("/" + list, r -> upstream.hits(list) >= 2);

            assertEquals(200, served.statusCode());
            assertEquals("v1.0.0\n", served.body());
            assertEquals(
                    "public, max-age=0",
                    served.headers().firstValue("Cache-Control").orElseThrow());
        }
    }
}
