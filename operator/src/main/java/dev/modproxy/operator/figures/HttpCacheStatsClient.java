package dev.modproxy.operator.figures;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modproxy.operator.admin.ProxyAdminAddress;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** GET /admin/stats on the cache's proxy. */
@ApplicationScoped
public class HttpCacheStatsClient implements CacheStatsClient {

    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final ObjectMapper json;
    private final ProxyAdminAddress address;

    public HttpCacheStatsClient(ObjectMapper json, ProxyAdminAddress address) {
        this.json = json;
        this.address = address;
    }

    @Override
    public CacheStats read(GoProxyCache cache) throws IOException {
        URI uri = URI.create(address.baseUrl(cache) + "/admin/stats");
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Accept", "application/json").GET()
                .build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + uri, e);
        }
        if (response.statusCode() != 200) {
            throw new IOException(uri + " answered HTTP " + response.statusCode());
        }
        try {
            return json.readValue(response.body(), CacheStats.class);
        } catch (IOException e) {
            throw new IOException(uri + " did not answer cache stats JSON: " + e.getMessage(), e);
        }
    }
}
