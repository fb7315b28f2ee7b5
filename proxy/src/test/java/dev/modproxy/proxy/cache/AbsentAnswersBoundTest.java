package dev.modproxy.proxy.cache;

import static dev.modproxy.proxy.testing.FakeUpstream.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any build pod can ask for paths that do not exist. Each absent answer is kept (a day while upstreams fail), with
 * its path and the upstream's reason: bounded by count alone, 100,000 of them at up to 2 KB took more than a 128 MiB
 * heap. They are bounded in bytes, and the newest stay.
 */
class AbsentAnswersBoundTest {

    @TempDir
    Path cacheDir;

    @Test
    void absentAnswersForLongPathsStayWithinTheirBytesAndTheNewestAreKept() throws Exception {
        // the longest reason the upstream's text can add, and module paths near their 400-character limit
        String reason = "not found: " + "r".repeat(400);
        String prefix = "example.com/" + "a".repeat(190) + "/" + "b".repeat(180) + "/m";
        int asked = 3_600; // about 4.5 MiB of entries
        try (FakeUpstream upstream = FakeUpstream.start().otherwise(status(404, reason));
                ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), cacheDir)) {
            for (int from = 0; from < asked; from += 64) {
                List<CompletableFuture<HttpResponse<Void>>> batch = new ArrayList<>();
                for (int i = from; i < Math.min(asked, from + 64); i++) {
                    batch.add(proxy.client()
                            .sendAsync(
                                    HttpRequest.newBuilder(URI.create(proxy.url() + "/" + prefix + i + "/@v/list"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding()));
                }
                for (CompletableFuture<HttpResponse<Void>> answer : batch) {
                    assertEquals(404, answer.get().statusCode());
                }
            }

            long kept = proxy.cache.absentWeight();
            assertTrue(kept > ModuleCache.ABSENT_BYTES / 2 && kept <= ModuleCache.ABSENT_BYTES, "kept " + kept);
            String newest = prefix + (asked - 1) + "/@v/list";
            assertEquals(404, proxy.getText("/" + newest).statusCode());
            assertEquals(1, upstream.hits(newest), "the newest absent answer is still remembered");
            assertEquals(asked, upstream.totalHits());
        }
    }
}
