package dev.modproxy.operator.warmup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modproxy.operator.admin.ProxyAdminAddress;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** POST and GET /admin/warmup on the cache's proxy. */
@ApplicationScoped
public class HttpWarmupClient implements WarmupClient {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final ObjectMapper json;
    private final ProxyAdminAddress address;

    public HttpWarmupClient(ObjectMapper json, ProxyAdminAddress address) {
        this.json = json;
        this.address = address;
    }

    @Override
    public WarmupAnswer start(GoProxyCache cache, String moduleList) throws IOException {
        return call(HttpRequest.newBuilder(uri(cache)).header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(moduleList, StandardCharsets.UTF_8)));
    }

    @Override
    public WarmupAnswer progress(GoProxyCache cache) throws IOException {
        return call(HttpRequest.newBuilder(uri(cache)).GET());
    }

    private URI uri(GoProxyCache cache) {
        return URI.create(address.baseUrl(cache) + "/admin/warmup");
    }

    private WarmupAnswer call(HttpRequest.Builder request) throws IOException {
        HttpRequest sent = request.timeout(TIMEOUT).header("Accept", "application/json").build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(sent, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while calling " + sent.uri(), e);
        }
        int code = response.statusCode();
        if (code >= 400 && code < 500) {
            throw new WarmupRefused(errorText(response.body(), code), code == 409);
        }
        if (code != 200 && code != 202) {
            throw new IOException(sent.uri() + " answered HTTP " + code);
        }
        return json.readValue(response.body(), WarmupAnswer.class);
    }

    /** The proxy's own words ("bad warm-up list: line 3: ...") when it gave them. */
    private String errorText(byte[] body, int code) {
        try {
            JsonNode error = json.readTree(body).get("error");
            return error != null ? error.asText() : "HTTP " + code;
        } catch (IOException e) {
            return "HTTP " + code;
        }
    }
}
