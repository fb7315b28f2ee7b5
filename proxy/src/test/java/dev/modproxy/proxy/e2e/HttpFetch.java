package dev.modproxy.proxy.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/** A plain HTTP/1.1 client that reduces each answer to status, length and SHA-256, so 50 MB bodies stay cheap. */
final class HttpFetch {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    record Answer(int status, long length, String sha256) {
        boolean ok() {
            return status == 200;
        }
    }

    private HttpFetch() {}

    static HttpClient client() {
        return HTTP;
    }

    static Answer get(URI uri, Duration timeout) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest digest = sha256();
        long length = 0;
        try (InputStream body = new DigestInputStream(response.body(), digest)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = body.read(buffer)) > 0; ) {
                length += n;
            }
        }
        return new Answer(response.statusCode(), length, HexFormat.of().formatHex(digest.digest()));
    }

    static String sha256Hex(byte[] content) {
        return HexFormat.of().formatHex(ModuleZip.sha256(content));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
