package dev.modproxy.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.protocol.GoErrorTextTest;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.storage.ForwardingStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StoredObject;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.GoClient;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error answer of the GOPROXY port is read by the go command, which shows at most 648 bytes of it
 * (cmd/go/internal/web, formatErrorDetail) and nothing at all of a longer line ("[Truncated: too long.]"). With the
 * longest module path this proxy takes named in it, and an upstream's own reason passed on at any length, each answer
 * must still show its reason, first.
 */
class RefusalFitsGoCommandTest {

    /** The longest module path taken: 400 characters, its longest element 200 ({@link ModulePath}). */
    static final String LONGEST = "example.com/" + "a".repeat(199) + "/" + "b".repeat(188);

    @TempDir
    Path dir;

    FakeUpstream upstream;
    ProxyUnderTest proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
        if (upstream != null) {
            upstream.close();
            upstream = null;
        }
    }

    /** An upstream's reason as proxy.golang.org words it, naming the module, then a long tail (a stack, a page). */
    private static String upstreamReason(String what) {
        return what + ": " + LONGEST + "@v1.0.0: invalid version: unknown revision v1.0.0\n" + "x".repeat(2000);
    }

    private void start(int status) throws Exception {
        assertEquals(400, LONGEST.length());
        ModulePath.of(LONGEST); // taken: the longest there is
        upstream = FakeUpstream.start().otherwise(FakeUpstream.status(status, upstreamReason("refused " + status)));
        proxy = new ProxyUnderTest(upstream.url(), dir.resolve("cache-" + status));
    }

    @Test
    void anUpstreamsRefusalOfAnyLengthForTheLongestPathIsShownWithItsReasonFirst() throws Exception {
        for (int status : new int[] {404, 410, 403, 500, 401}) {
            start(status);
            HttpResponse<byte[]> response = proxy.get("/" + LONGEST + "/@v/v1.0.0.info");
            String body = fits(response);
            assertEquals(status >= 500 || status == 401 ? 502 : status, response.statusCode(), body);
            assertTrue(body.startsWith("127.0.0.1:"), "names the upstream first: " + body);
            assertTrue(body.contains(" answered " + status + " for example.com/aaa"), body);
            // the upstream's own reason is passed on, after the proxy's, as much of it as fits
            assertTrue(body.contains("refused " + status + ": example.com/aaa"), body);
            assertTrue(body.contains("unknown revision v1.0.0"), body);
            stop();
        }
    }

    @Test
    void badRequestsNamingTheLongestPathAreShownWithTheirReasonFirst() throws Exception {
        start(404);
        String tooLongVersion = "v1.0.0-" + "c".repeat(130);
        String body = fits(proxy.get("/" + LONGEST + "/@v/" + tooLongVersion + ".info"));
        assertTrue(body.contains("is longer than 128 characters"), body);

        body = fits(proxy.get("/" + LONGEST + "x/@v/list"));
        assertTrue(body.contains("longer than 400"), body);

        body = fits(proxy.get("/" + LONGEST.substring(0, 399) + "./@v/list"));
        assertTrue(body.startsWith("invalid module path"), body);

        body = fits(proxy.get("/" + LONGEST + "/@v/v1.0.0.info%00"));
        assertFalse(body.isBlank(), body);
        assertEquals(0, upstream.totalHits(), "nothing was asked upstream");
    }

    @Test
    void aStorageFailureWithALongMessageIsShownWithItsReasonFirst() throws Exception {
        upstream = FakeUpstream.start();
        proxy = new ProxyUnderTest(
                upstream.url(),
                dir.resolve("cache"),
                ProxyUnderTest.options().storageView(storage -> new ForwardingStorage(storage) {
                    @Override
                    public Optional<StoredObject> lookup(StorageKey key) throws IOException {
                        // as an S3 client words it: the key, then the service's whole answer
                        throw new IOException("bucket read of " + key + " failed:\n\t" + "<Error>".repeat(300));
                    }
                }));
        HttpResponse<byte[]> response = proxy.get("/" + LONGEST + "/@v/v1.0.0.info");
        String body = fits(response);
        assertTrue(response.statusCode() >= 500, response.statusCode() + " " + body);
        assertTrue(body.contains("bucket read of example.com/aaa"), body);
    }

    /**
     * The real go command, told by the proxy of an upstream's long refusal for the longest module path, prints the
     * reason: before, it printed "server response: [Truncated: too long.]" and nothing else of it.
     */
    @Test
    void theGoCommandShowsTheReasonOfALongRefusal() throws Exception {
        start(404);
        GoClient go = new GoClient(dir.resolve("go"), proxy.url());
        GoClient.Result result = go.download(LONGEST + "@v1.0.0");

        assertNotEquals(0, result.exitCode(), result.both());
        assertTrue(result.both().contains("server response: 127.0.0.1:"), result.both());
        assertTrue(result.both().contains("unknown revision v1.0.0"), result.both());
        assertFalse(result.both().contains("[Truncated"), result.both());
    }

    /** The body, after checking that the go command shows all of it: at most 648 bytes, one line, nothing hidden. */
    private static String fits(HttpResponse<byte[]> response) {
        String body = new String(response.body(), StandardCharsets.UTF_8);
        assertTrue(response.statusCode() >= 400, response.statusCode() + " " + body);
        assertTrue(response.body().length <= 648 + 1, response.body().length + " bytes: " + body);
        assertTrue(body.endsWith("\n") && body.indexOf('\n') == body.length() - 1, "one line: " + body);
        String shown = GoErrorTextTest.goShows(body);
        assertEquals(body.substring(0, body.length() - 1), shown, "what the go command shows of it");
        return shown;
    }
}
