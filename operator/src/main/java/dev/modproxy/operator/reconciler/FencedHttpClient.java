package dev.modproxy.operator.reconciler;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The operator's HTTP client: fabric8's, whose calls {@link FencedWrites} can end when it refuses a write fabric8
 * sends again (after a 5xx, a 429 or a connection failure). fabric8 sends it again from its scheduler's thread, where
 * the refusal {@link FencedWrites#before} throws reaches no caller: without this the call would never complete, and
 * the reconciliation waiting for it would wait for good.
 *
 * <p>Clients derived from it ({@code newBuilder()}: fabric8 derives one for an operation given its own
 * {@code RequestConfig}, which nothing in the operator does) check the fence too, but a refused resend leaves their
 * call waiting.
 */
final class FencedHttpClient implements HttpClient {

    private final HttpClient client;
    private final FencedWrites fence;

    FencedHttpClient(HttpClient client, FencedWrites fence) {
        this.client = client;
        this.fence = fence;
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, Class<T> type) {
        return fence.endable(request, () -> client.sendAsync(request, type));
    }

    @Override
    public CompletableFuture<HttpResponse<AsyncBody>> consumeBytes(
            HttpRequest request, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
        return fence.endable(request, () -> client.consumeBytes(request, consumer));
    }

    @Override
    public DerivedClientBuilder newBuilder() {
        return client.newBuilder();
    }

    @Override
    public WebSocket.Builder newWebSocketBuilder() {
        return client.newWebSocketBuilder();
    }

    @Override
    public HttpRequest.Builder newHttpRequestBuilder() {
        return client.newHttpRequestBuilder();
    }

    @Override
    public boolean isClosed() {
        return client.isClosed();
    }

    @Override
    public void close() {
        client.close();
    }
}
