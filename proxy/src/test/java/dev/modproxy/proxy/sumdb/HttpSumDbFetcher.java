package dev.modproxy.proxy.sumdb;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Fetches checksum database paths over HTTP from one base URL (the database or a proxy's /sumdb/&lt;name&gt;):
 * the tests' way to ask a database directly. The proxy reaches the database through its upstreams
 * ({@link UpstreamSumDbFetcher}).
 */
final class HttpSumDbFetcher implements SumDbFetcher {

    private final URI base;
    private final HttpClient client;
    private final Duration timeout;

    HttpSumDbFetcher(URI base, HttpClient client, Duration timeout) {
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text : text + "/");
        this.client = client;
        this.timeout = timeout;
    }

    @Override
    public byte[] fetch(String path) throws SumDbException {
        URI uri = base.resolve(path);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                int status = response.statusCode();
                if (status == 404 || status == 410) {
                    throw new SumDbNotFoundException(uri + ": " + status + " " + firstLine(body));
                }
                if (status != 200) {
                    throw new SumDbException(uri + ": HTTP " + status);
                }
                byte[] data = body.readNBytes(MAX_ANSWER_BYTES + 1);
                if (data.length > MAX_ANSWER_BYTES) {
                    throw new SumDbException(uri + ": answer larger than " + MAX_ANSWER_BYTES + " bytes");
                }
                return data;
            }
        } catch (IOException e) {
            throw new SumDbException(uri + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SumDbException(uri + ": interrupted", e);
        }
    }

    private static String firstLine(InputStream body) throws IOException {
        String text = new String(body.readNBytes(200), java.nio.charset.StandardCharsets.UTF_8).strip();
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).replaceAll("\\p{Cntrl}", "?");
    }
}
