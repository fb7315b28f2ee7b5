package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.proxy.storage.RemovalListener;
import dev.modproxy.proxy.storage.Storage;
import dev.modproxy.proxy.storage.StorageEntry;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageUsage;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.Modules;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Storage that only hands out streams (like object storage) is served by copying, with the same headers. */
class StreamedStorageTest {

    @TempDir
    Path cacheDir;

    /** Delegates to local disk but hides the local file, as a remote store would. */
    private record StreamOnly(Storage disk) implements Storage {
        @Override
        public Optional<StoredObject> lookup(StorageKey key) throws IOException {
            return disk.lookup(key).map(o -> StoredObject.ofStream(key, o.size(), o.lastModified(), o::open));
        }

        @Override
        public StorageWriter openWriter(StorageKey key) throws IOException {
            return disk.openWriter(key);
        }

        @Override
        public boolean delete(StorageKey key) throws IOException {
            return disk.delete(key);
        }

        @Override
        public void addRemovalListener(RemovalListener listener) {
            disk.addRemovalListener(listener);
        }

        @Override
        public Stream<StorageEntry> entries() throws IOException {
            return disk.entries();
        }

        @Override
        public StorageUsage usage() {
            return disk.usage();
        }

        @Override
        public void probeWritable() throws IOException {
            disk.probeWritable();
        }

        @Override
        public String describe() {
            return "stream-only " + disk.describe();
        }
    }

    @Test
    void cachedZipIsStreamedWhenThereIsNoLocalFile() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start();
                ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir,
                        ProxyUnderTest.options().storageView(StreamOnly::new))) {
            Modules.publish(upstream, "example.com/lib", "v1.0.0");
            byte[] zip = Modules.zip("example.com/lib", "v1.0.0");
            proxy.get("/example.com/lib/@v/v1.0.0.zip");

            HttpResponse<byte[]> warm = proxy.get("/example.com/lib/@v/v1.0.0.zip");

            assertEquals(200, warm.statusCode());
            assertArrayEquals(zip, warm.body());
            assertEquals(String.valueOf(zip.length), warm.headers().firstValue("Content-Length").orElseThrow());
            assertEquals("application/zip", warm.headers().firstValue("Content-Type").orElseThrow());
            assertEquals(1, upstream.hits("example.com/lib/@v/v1.0.0.zip"));
        }
    }
}
