package dev.modproxy.proxy.upstream;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Flow;

/** One GOPROXY base URL with its own circuit breaker. */
public final class Upstream {

    private final URI base;
    private final HttpClient client;
    private final Duration readTimeout;
    private final CircuitBreaker breaker;
    private final String authorization;

    public Upstream(URI base, HttpClient client, Duration readTimeout, CircuitBreaker breaker) {
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text : text + "/");
        // credentials in the URL, as GOPROXY allows, travel as basic auth and never appear in logs or tags
        this.authorization = base.getUserInfo() == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString(base.getUserInfo().getBytes(StandardCharsets.UTF_8));
        this.client = client;
        this.readTimeout = readTimeout;
        this.breaker = breaker;
    }

    /** The base URL without credentials. */
    public URI base() {
        return URI.create(toString());
    }

    /** The tag used in metrics and logs: host and port, never credentials or the path. */
    public String host() {
        return base.getPort() < 0 ? base.getHost() : base.getHost() + ":" + base.getPort();
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /**
     * Requests {@code base + relativePath}. Waiting for the headers and each gap in the body are
     * bounded by the read timeout; connecting by the client's connect timeout.
     */
    public UpstreamResponse get(String relativePath) throws IOException {
        URI uri = base.resolve(relativePath);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(readTimeout)
                .header("User-Agent", "modproxy");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if ("http".equals(base.getScheme())) {
            request.version(HttpClient.Version.HTTP_1_1); // no h2c upgrade dance with plain-HTTP mirrors
        }
        UpstreamBody body = new UpstreamBody(readTimeout, host());
        HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofPublisher());
        } catch (HttpConnectTimeoutException e) {
            throw new UpstreamTimeoutException(host() + " did not accept a connection in time");
        } catch (HttpTimeoutException e) {
            throw new UpstreamTimeoutException(host() + " sent no answer within " + readTimeout.toMillis() + " ms");
        } catch (ConnectException e) {
            throw new IOException(host() + " refused the connection", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + host(), e);
        }
        response.body().subscribe(body);
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        UpstreamResponse answer = new UpstreamResponse(this, response.statusCode(), contentType, length, body);
        if (!answer.ok()) {
            answer.close();
        }
        return answer;
    }

    @Override
    public String toString() {
        return base.getScheme() + "://" + host() + base.getRawPath();
    }
}
