package dev.modproxy.operator.webhook;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Calls the webhook as the API server does: HTTPS to the Service's DNS name, trusting only the
 * caBundle CA and verifying the host name. The connection goes to 127.0.0.1; the name is what is checked.
 */
final class WebhookClient {

    record Answer(int status, byte[] body, X509Certificate servedCertificate) {}

    private WebhookClient() {}

    static Answer post(Vertx vertx, int port, String caPem, String host, byte[] body) throws Exception {
        return send(vertx, port, caPem, host, HttpMethod.POST, WebhookServer.PATH, body);
    }

    static Answer send(Vertx vertx, int port, String caPem, String host, HttpMethod method, String path, byte[] body)
            throws Exception {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions()
                .setSsl(true)
                .setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(caPem))));
        try {
            RequestOptions request = new RequestOptions()
                    .setMethod(method)
                    .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
                    .setHost(host)
                    .setPort(port)
                    .setURI(path)
                    .putHeader("Content-Type", "application/json");
            return client.request(request)
                    .compose(req -> req.send(Buffer.buffer(body))
                            .compose(response -> response.body().map(payload -> {
                                try {
                                    List<Certificate> chain = req.connection().peerCertificates();
                                    return new Answer(
                                            response.statusCode(), payload.getBytes(), (X509Certificate) chain.get(0));
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            })))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } finally {
            client.close();
        }
    }
}
