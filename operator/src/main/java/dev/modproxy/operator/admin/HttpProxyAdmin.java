package dev.modproxy.operator.admin;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.modproxy.contract.admin.AdminPaths;
import dev.modproxy.contract.admin.CacheStats;
import dev.modproxy.contract.admin.WarmupReport;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The admin API over HTTP, on the cache's management Service (or the one URL of {@link ProxyAdminAddress}). */
@ApplicationScoped
public class HttpProxyAdmin implements ProxyAdmin {

    /** Stats are cheap for the proxy: a slow answer means it is in trouble, and the last figures stay. */
    static final Duration STATS_TIMEOUT = Duration.ofSeconds(3);
    /** Starting a warm-up parses the whole list first. */
    static final Duration WARMUP_TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(STATS_TIMEOUT).build();
    private final ProxyAdminAddress address;
    private final ObjectReader stats;
    private final ObjectReader warmup;
    private final ObjectMapper json;

    public HttpProxyAdmin(ObjectMapper json, ProxyAdminAddress address) {
        this.json = json;
        this.address = address;
        // a newer proxy may say more than this operator shows
        this.stats = json.readerFor(CacheStats.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        this.warmup = json.readerFor(WarmupReport.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    @Override
    public CacheStats stats(GoProxyCache cache) throws IOException {
        URI uri = uri(cache, AdminPaths.STATS);
        HttpResponse<byte[]> response =
                send(HttpRequest.newBuilder(uri).timeout(STATS_TIMEOUT).GET());
        if (response.statusCode() != 200) {
            throw new IOException(uri + " answered HTTP " + response.statusCode());
        }
        try {
            return stats.readValue(response.body());
        } catch (IOException e) {
            throw new IOException(uri + " did not answer cache stats JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public WarmupReport startWarmup(GoProxyCache cache, String moduleList) throws IOException {
        return warmupCall(HttpRequest.newBuilder(uri(cache, AdminPaths.WARMUP))
                .header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(moduleList, StandardCharsets.UTF_8)));
    }

    @Override
    public WarmupReport warmup(GoProxyCache cache) throws IOException {
        return warmupCall(HttpRequest.newBuilder(uri(cache, AdminPaths.WARMUP)).GET());
    }

    private URI uri(GoProxyCache cache, String path) {
        return URI.create(address.baseUrl(cache) + path);
    }

    private WarmupReport warmupCall(HttpRequest.Builder request) throws IOException {
        HttpResponse<byte[]> response = send(request.timeout(WARMUP_TIMEOUT));
        int code = response.statusCode();
        if (code >= 400 && code < 500) {
            throw new WarmupRefused(errorText(response.body(), code), code == 409);
        }
        if (code != 200 && code != 202) {
            throw new IOException(response.uri() + " answered HTTP " + code);
        }
        return warmup.readValue(response.body());
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException {
        HttpRequest sent = request.header("Accept", "application/json").build();
        try {
            return http.send(sent, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while calling " + sent.uri(), e);
        } catch (IOException e) {
            throw new IOException(sent.uri() + " did not answer: " + reason(e), e);
        }
    }

    /**
     * Why no answer came, for a status message. The JDK's client says nothing itself when the connection is refused
     * or the name does not resolve: its exceptions there carry no message at all (the status read "null").
     */
    static String reason(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return "its host name does not resolve";
            }
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e instanceof ConnectException
                ? "could not connect (refused or closed)"
                : e.getClass().getSimpleName();
    }

    /** The proxy's own words ("bad warm-up list: line 3: ...") when it gave them. */
    private String errorText(byte[] body, int code) {
        try {
            JsonNode error = json.readTree(body).get(AdminPaths.ERROR_FIELD);
            return error != null ? error.asText() : "HTTP " + code;
        } catch (IOException e) {
            return "HTTP " + code;
        }
    }
}
