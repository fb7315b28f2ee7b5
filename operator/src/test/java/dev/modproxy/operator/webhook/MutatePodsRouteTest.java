package dev.modproxy.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The route on a real (plain HTTP) Vert.x server: what a client sees for bad methods, media types and sizes. */
class MutatePodsRouteTest {

    final Vertx vertx = Vertx.vertx();
    /** HTTP/1.1: the JDK client's HTTP/2 default asks a plain server for an h2c upgrade, which is not what is tested. */
    final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HttpServer server;
    AdmissionReviewHandler handler;

    @BeforeEach
    void start() throws Exception {
        InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
                .add(new CacheTarget(
                        new CacheRef("ci", "gomod"),
                        "http://gomod.ci.svc.cluster.local:8080",
                        "https://goproxy.cn,direct",
                        List.of(),
                        List.of(),
                        true,
                        false))
                .namespace("ci", Map.of(), Map.of());
        handler = new AdmissionReviewHandler(
                new PodMutator(directory, Set.of("kube-system")), new InjectionMetrics(new SimpleMeterRegistry()));
        server = vertx.createHttpServer()
                .requestHandler(new MutatePodsRoute(handler, vertx))
                .listen(0)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpRequest.Builder to(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                .timeout(Duration.ofMinutes(1));
    }

    @Test
    void aReviewPostedAsJsonIsAnswered() throws Exception {
        HttpResponse<String> answer = send(to("/mutate-pods")
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(AdmissionFixtures.review("tekton-taskrun-pod.json"))));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("application/json");
        assertThat(answer.body().contains("\"patchType\":\"JSONPatch\""))
                .as(answer.body())
                .isTrue();
    }

    @Test
    void getAndOtherPathsAreRefused() throws Exception {
        HttpResponse<String> get = send(to("/mutate-pods").GET());
        HttpResponse<String> elsewhere = send(to("/mutate").POST(HttpRequest.BodyPublishers.ofString("{}")));

        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow").orElseThrow()).isEqualTo("POST");
        assertThat(elsewhere.statusCode()).isEqualTo(404);
    }

    /** curl and a browser show the reason as text; without a Content-Type they have to guess. */
    @Test
    void everyRefusalIsPlainText() throws Exception {
        List<HttpResponse<String>> refusals = List.of(
                send(to("/mutate-pods").GET()),
                send(to("/mutate").POST(HttpRequest.BodyPublishers.ofString("{}"))),
                send(to("/mutate-pods")
                        .header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))),
                send(to("/mutate-pods")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5 * 1024 * 1024]))),
                send(to("/mutate-pods")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("[]"))));

        assertThat(refusals).extracting(HttpResponse::statusCode).containsExactly(405, 404, 415, 413, 400);
        assertThat(refusals)
                .allSatisfy(answer -> assertThat(answer.headers().firstValue("Content-Type"))
                        .as("Content-Type of the %d", answer.statusCode())
                        .contains("text/plain; charset=utf-8"));
    }

    @Test
    void aBodyThatIsNotJsonByItsContentTypeIsRefusedNamingTheTypeExpected() throws Exception {
        HttpResponse<String> answer = send(to("/mutate-pods")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofByteArray(AdmissionFixtures.review("tekton-taskrun-pod.json"))));

        assertThat(answer.statusCode()).isEqualTo(415);
        assertThat(answer.body())
                .isEqualTo(
                        "an AdmissionReview is sent as Content-Type: application/json, not application/x-www-form-urlencoded\n");
    }

    /**
     * The server does not decompress: a gzip body was parsed as JSON and refused as "Illegal character ((CTRL-CHAR,
     * code 31))", which names neither the encoding nor what to send instead.
     */
    @Test
    void aCompressedBodyIsRefusedNamingItsEncoding() throws Exception {
        java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(gzipped)) {
            gzip.write(AdmissionFixtures.review("tekton-taskrun-pod.json"));
        }

        HttpResponse<String> answer = send(to("/mutate-pods")
                .header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gzipped.toByteArray())));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(415);
        assertThat(answer.headers().firstValue("Accept-Encoding")).contains("identity");
        assertThat(answer.body())
                .isEqualTo("an AdmissionReview is sent uncompressed, not with Content-Encoding: gzip\n");
        assertThat(send(to("/mutate-pods")
                                .header("Content-Type", "application/json")
                                .header("Content-Encoding", "identity")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(
                                        AdmissionFixtures.review("tekton-taskrun-pod.json"))))
                        .statusCode())
                .as("identity is no encoding")
                .isEqualTo(200);
    }

    /**
     * A client that sends "Expect: 100-continue" waits for "100 Continue" before its body: curl does for bodies over 1
     * MiB, for a second by default (--expect100-timeout). The webhook never sent it, and a body too large for it is
     * refused before it is sent.
     */
    @Test
    void aClientExpectingContinueIsToldToGoOnOrRefusedBeforeItsBody() throws Exception {
        byte[] review = AdmissionFixtures.review("tekton-taskrun-pod.json");
        try (Socket socket = new Socket("127.0.0.1", server.actualPort())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out.write(("POST /mutate-pods HTTP/1.1\r\nHost: webhook\r\nContent-Type: application/json\r\n"
                            + "Expect: 100-continue\r\nContent-Length: " + review.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();

            assertThat(in.readLine()).isEqualTo("HTTP/1.1 100 Continue");
            assertThat(in.readLine()).isEmpty();
            out.write(review);
            out.flush();
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
        }
        try (Socket socket = new Socket("127.0.0.1", server.actualPort())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream()
                    .write(("POST /mutate-pods HTTP/1.1\r\nHost: webhook\r\nContent-Type: application/json\r\n"
                                    + "Expect: 100-continue\r\nContent-Length: 10485760\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));

            assertThat(new java.io.BufferedReader(
                                    new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                            .readLine())
                    .isEqualTo("HTTP/1.1 413 Request Entity Too Large");
        }
    }

    @Test
    void aChunkedBodyPastTheLimitIsRefusedWithoutBeingKept() throws Exception {
        byte[] huge = new byte[5 * 1024 * 1024];
        java.util.Arrays.fill(huge, (byte) ' ');
        HttpResponse<String> answer = send(to("/mutate-pods")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(huge))));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(413);
        assertThat(answer.body()).isEqualTo("AdmissionReview larger than 4194304 bytes\n");
    }

    /**
     * A client that opens reviews and never finishes them (any pod can reach the webhook's Service) holds at most
     * the bound of unanswered bodies; past it the webhook answers 503 instead of reading more into memory. A client
     * that goes away gives its share back, and one that sends too slowly loses it at the deadline.
     */
    @Test
    void unansweredBodiesAreBoundedTogetherAndGivenBackWhenTheClientLeavesOrIsTooSlow() throws Exception {
        // a deadline no step here comes near: only the client leaving can give its share back
        int patient = boundedServer(Duration.ofMinutes(10));
        assertThat(send(post(patient)).statusCode())
                .as("alone, a 40 KiB review is answered")
                .isEqualTo(200);
        try (Socket leaving = startedBody(patient, 40 * 1024)) {
            awaitBusy(post(patient));
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () -> assertThat(send(post(patient)).statusCode()).isEqualTo(200));

        int hurried = boundedServer(Duration.ofSeconds(3));
        try (Socket slow = startedBody(hurried, 40 * 1024)) {
            awaitBusy(post(hurried));
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () -> assertThat(send(post(hurried)).statusCode()).isEqualTo(200));
            slow.setSoTimeout(10_000);
            String answer = new String(slow.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 408 ").endsWith("the AdmissionReview did not arrive within 3 s\n");
        }
    }

    /** A server whose route holds at most 64 KiB of unanswered bodies; its port. */
    private int boundedServer(Duration bodyDeadline) throws Exception {
        return vertx.createHttpServer()
                .requestHandler(new MutatePodsRoute(handler, vertx, 64 * 1024, bodyDeadline))
                .listen(0)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .actualPort();
    }

    /** A 40 KiB review: the fixture, padded with spaces. */
    private static HttpRequest.Builder post(int port) {
        byte[] review = AdmissionFixtures.review("tekton-taskrun-pod.json");
        byte[] padded = new byte[40 * 1024];
        java.util.Arrays.fill(padded, (byte) ' ');
        System.arraycopy(review, 0, padded, 0, review.length);
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mutate-pods"))
                .timeout(Duration.ofMinutes(1))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(padded));
    }

    /** A raw connection that sends its headers and the first {@code bytes} of a larger body, then nothing. */
    private static Socket startedBody(int port, int bytes) throws Exception {
        Socket socket = new Socket("127.0.0.1", port);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /mutate-pods HTTP/1.1\r\nHost: webhook\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 1000000\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[bytes]);
        out.flush();
        return socket;
    }

    private void awaitBusy(HttpRequest.Builder post) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> refused = send(post);
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.body())
                    .isEqualTo("the webhook already holds 65536 bytes of unanswered reviews; retry\n");
        });
    }
}
